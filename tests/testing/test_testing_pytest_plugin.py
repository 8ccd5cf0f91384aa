"""The pytest plugin: fixtures, ini option, live server, ``-p no:lanner`` and import cost.

Each scenario runs pytest in a subprocess on a small generated project, because the plugin is
loaded through its entry point at pytest start-up.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
import subprocess
import sys
import textwrap

import pytest

TESTS_DIR = Path(__file__).resolve().parent.parent

APP_MODULE = """
import importlib.util

import lanner
import lanner.asgi


def _router_kwargs():
    if importlib.util.find_spec('lanner.routing') is None:
        from support.simple_router import SimpleRouter

        return {'router': SimpleRouter()}
    return {}


class Hello:
    async def on_get(self, req, resp):
        resp.media = {'hello': req.get_param('name') or 'world', 'started': STATE['started']}


class HelloSync:
    def on_get(self, req, resp):
        resp.media = {'hello': 'wsgi'}


STATE = {'started': False}


class Lifespan:
    async def process_startup(self, scope, event):
        STATE['started'] = True


def create_app():
    app = lanner.asgi.App(middleware=[Lifespan()], **_router_kwargs())
    app.add_route('/hello', Hello())
    return app


def create_wsgi_app():
    app = lanner.App(**_router_kwargs())
    app.add_route('/hello', HelloSync())
    return app
"""

TESTS_MODULE = """
import json
import urllib.request

import pytest


def test_client(lanner_client):
    result = lanner_client.simulate_get('/hello', params={'name': 'ini'})
    assert result.json['hello'] == 'ini'


@pytest.mark.asyncio
async def test_conductor(lanner_conductor):
    result = await lanner_conductor.simulate_get('/hello')
    assert result.json == {'hello': 'world', 'started': True}


def test_live_server(lanner_live_server):
    assert lanner_live_server.host == '127.0.0.1'
    assert lanner_live_server.url == f'http://127.0.0.1:{lanner_live_server.port}'
    with urllib.request.urlopen(lanner_live_server.url + '/hello', timeout=5) as response:
        assert json.load(response) == {'hello': 'world', 'started': True}
"""

WSGI_CONFTEST = """
import pytest

import myapp


@pytest.fixture
def lanner_app():
    return myapp.create_wsgi_app()
"""

WSGI_TESTS = """
import json
import urllib.request


def test_overridden_app(lanner_client):
    assert lanner_client.simulate_get('/hello').json == {'hello': 'wsgi'}


def test_wsgi_live_server(lanner_live_server):
    with urllib.request.urlopen(lanner_live_server.url + '/hello', timeout=5) as response:
        assert json.load(response) == {'hello': 'wsgi'}
"""


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop('PYTEST_ADDOPTS', None)
    inherited = [env['PYTHONPATH']] if env.get('PYTHONPATH') else []
    env['PYTHONPATH'] = os.pathsep.join([str(project), str(TESTS_DIR), *inherited])
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path / 'myapp.py', APP_MODULE)
    return tmp_path


def test_fixtures_with_ini_option_and_override(project: Path) -> None:
    pytest.importorskip('uvicorn')
    write(
        project / 'pytest.ini',
        '[pytest]\nlanner_app = myapp:create_app()\nasyncio_mode = strict\n',
    )
    write(project / 'test_ini_app.py', TESTS_MODULE)
    write(project / 'wsgi' / 'conftest.py', WSGI_CONFTEST)
    write(project / 'wsgi' / 'test_wsgi_app.py', WSGI_TESTS)
    outcome = run_pytest(project)
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert '5 passed' in outcome.stdout


class FakeConfig:
    def __init__(self, value: str) -> None:
        self.value = value

    def getini(self, name: str) -> str:
        assert name == 'lanner_app'
        return self.value


def test_lanner_app_ini_option(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lanner.testing.pytest_plugin import _configured_app

    monkeypatch.syspath_prepend(str(project))
    app = _configured_app(FakeConfig('myapp:create_wsgi_app()'))  # type: ignore[arg-type]
    assert callable(app)
    import myapp  # type: ignore[import-not-found]

    assert _configured_app(FakeConfig(' myapp:create_app ')) is myapp.create_app  # type: ignore[arg-type]
    with pytest.raises(pytest.fail.Exception, match='define a `lanner_app` fixture'):
        _configured_app(FakeConfig(''))  # type: ignore[arg-type]
    for spec, message in [
        ('myapp:nothing_here', "has no attribute 'nothing_here'"),
        ('myapp', 'expected "package.module:app"'),
        ('no_such_module_xyz:app', 'No module named'),
        ('myapp:STATE', 'not a WSGI or ASGI app'),
    ]:
        with pytest.raises(pytest.fail.Exception, match='Could not load the app') as info:
            _configured_app(FakeConfig(spec))  # type: ignore[arg-type]
        assert message in str(info.value)


def test_plugin_can_be_disabled(project: Path) -> None:
    write(project / 'pytest.ini', '[pytest]\n')
    write(project / 'test_x.py', 'def test_needs_client(lanner_client):\n    pass\n')
    outcome = run_pytest(project, '-p', 'no:lanner')
    assert outcome.returncode == 1
    assert "fixture 'lanner_client' not found" in outcome.stdout


def test_plugin_import_is_cheap() -> None:
    # Compared with a bare `import lanner`, the plugin may only add its own two modules: no
    # app machinery, no asyncio-based test client, no lanner.asgi.
    code = (
        'import sys, lanner; before = set(sys.modules); import lanner.testing.pytest_plugin; '
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('lanner')))"
    )
    out = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    added = set(ast.literal_eval(out))
    assert added == {'lanner.testing', 'lanner.testing._version', 'lanner.testing.pytest_plugin'}
