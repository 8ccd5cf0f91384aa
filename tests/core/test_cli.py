"""The ``lanner`` command (serve, routes) and ``lanner-inspect-app``."""

from __future__ import annotations

from collections.abc import Iterator
import json
import os
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.request
import uuid

import pytest

from lanner import cli

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

APP_SOURCE = '''
import lanner
import lanner.asgi
import lanner.inspect
from support.simple_router import SimpleRouter


class Router(SimpleRouter):
    """SimpleRouter plus the tree lanner.inspect walks."""

    def __init__(self):
        super().__init__()
        self.roots = []

    def add_route(self, uri_template, resource, **kwargs):
        super().add_route(uri_template, resource, **kwargs)
        node = type('Node', (), {})()
        node.children = []
        node.resource = resource
        node.uri_template = uri_template
        node.method_map = self._routes[-1][2]
        self.roots.append(node)


lanner.inspect.register_router(Router)(lanner.inspect.inspect_compiled_router)


class Hello:
    def on_get(self, req, resp):
        resp.text = 'hello from wsgi'


class HelloAsync:
    async def on_get(self, req, resp):
        resp.text = 'hello from asgi'


app = lanner.App(router=Router())
app.add_route('/hello', Hello())

asgi_app = lanner.asgi.App(router=Router())
asgi_app.add_route('/hello', HelloAsync())


def factory():
    made = lanner.App(router=Router())
    made.add_route('/made', Hello())
    return made


not_an_app = 42
'''


@pytest.fixture
def module(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f'cli_app_{uuid.uuid4().hex[:8]}'
    (tmp_path / f'{name}.py').write_text(APP_SOURCE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_routes_text(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(['routes', f'{module}:app'])
    out = capsys.readouterr().out
    assert out.startswith('Falcon App (WSGI)\n• Routes:\n    ⇒ /hello - Hello:\n')
    assert '└── GET - on_get' in out
    assert 'on_options' not in out


def test_routes_json(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(['routes', f'{module}:asgi_app', '--json'])
    data = json.loads(capsys.readouterr().out)
    assert data['asgi'] is True
    assert data['routes'] == [
        {
            'path': '/hello',
            'class_name': 'HelloAsync',
            'methods': [
                {'method': 'GET', 'function_name': 'on_get', 'suffix': '', 'internal': False}
            ],
        }
    ]


def test_routes_json_verbose_internal(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(['routes', f'{module}:app', '--json', '-v', '-i'])
    data = json.loads(capsys.readouterr().out)
    methods = data['routes'][0]['methods']
    assert any(m['function_name'] == 'on_options' for m in methods)
    assert all(m['source_info'] for m in methods)


def test_factory(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(['routes', f'{module}:factory'])
    assert '⇒ /made - Hello' in capsys.readouterr().out


@pytest.mark.parametrize(
    ('target', 'message'),
    [
        ('{m}', 'MODULE:APP'),
        ('{m}:missing', "'missing' not found"),
        ('{m}:not_an_app', 'did not produce a lanner App'),
        ('no_such_module_xyz:app', 'could not import'),
    ],
)
def test_load_errors(
    module: str, capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(['routes', target.format(m=module)])
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_inspect_app_command(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli.inspect_app_main([f'{module}:app'])
    assert capsys.readouterr().out.startswith('Falcon App (WSGI)')
    cli.inspect_app_main(['-r', '-i', f'{module}:app'])
    out = capsys.readouterr().out
    assert out.startswith('⇒ /hello - Hello:')
    assert 'OPTIONS - on_options' in out
    assert 'Middleware' not in out


def test_falcon_compatible_module() -> None:
    from lanner.cmd import inspect_app

    parser = inspect_app.make_parser()
    args = parser.parse_args(['-v', 'pkg:app'])
    assert (args.verbose, args.route_only, args.internal, args.app_module) == (
        True,
        False,
        False,
        'pkg:app',
    )
    with pytest.raises(SystemExit) as info:
        inspect_app.route_main()
    assert info.value.code == 2


def test_retired_print_routes_explains_itself_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.route_main()
    captured = capsys.readouterr()
    assert captured.out == ''
    assert 'no longer supported' in captured.err


# ---------------------------------------------------------------------- serve


@pytest.fixture
def no_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, 'uvicorn', None)  # makes "import uvicorn" fail


def test_serve_wsgi_falls_back_to_wsgiref(
    module: str, no_uvicorn: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(
        cli, '_serve_wsgiref', lambda app, host, port: calls.append((app, host, port))
    )
    cli.main(['serve', f'{module}:app', '--port', '8123'])
    assert calls and calls[0][1:] == ('127.0.0.1', 8123)
    assert type(calls[0][0]).__name__ == 'App'


def test_serve_asgi_without_uvicorn_explains(
    module: str, no_uvicorn: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(['serve', f'{module}:asgi_app'])
    assert info.value.code == 2
    assert 'pip install "lanner[server]"' in capsys.readouterr().err


def test_serve_reload_without_uvicorn_explains(
    module: str, no_uvicorn: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(['serve', f'{module}:app', '--reload'])
    assert 'lanner[server]' in capsys.readouterr().err


def test_serve_uses_uvicorn(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    uvicorn = pytest.importorskip('uvicorn')
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, 'run', lambda target, **kw: calls.append((target, kw)))
    servers: list[Any] = []

    def run_server(server: Any) -> None:
        servers.append(server)
        server.started = True

    # An ASGI App in one process runs on a uvicorn.Server that tells it when shutdown begins.
    monkeypatch.setattr(uvicorn.Server, 'run', run_server)
    cli.main(['serve', f'{module}:asgi_app', '--host', '127.0.0.1', '--port', '9000'])
    cli.main(['serve', f'{module}:app'])
    cli.main(['serve', f'{module}:factory', '--reload'])
    config = servers[0].config
    assert (config.host, config.port, config.interface) == ('127.0.0.1', 9000, 'asgi3')
    assert config.timeout_graceful_shutdown == 5.0
    assert type(config.app).__name__ == 'App'
    assert type(servers[0]).shutdown is not uvicorn.Server.shutdown
    assert calls[0][1]['interface'] == 'wsgi'
    assert calls[1][0] == f'{module}:factory'
    assert calls[1][1]['reload'] is True and calls[1][1]['factory'] is True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


@pytest.mark.server
@pytest.mark.parametrize(('attr', 'expected'), [('asgi_app', 'asgi'), ('app', 'wsgi')])
def test_serve_for_real(module: str, tmp_path: Any, attr: str, expected: str) -> None:
    pytest.importorskip('uvicorn')
    port = free_port()
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(tmp_path), TESTS_DIR])}
    proc = subprocess.Popen(
        [sys.executable, '-m', 'lanner.cli', 'serve', f'{module}:{attr}', '--port', str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        body = b''
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/hello', timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
        assert body == f'hello from {expected}'.encode()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_workers(
    module: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uvicorn = pytest.importorskip('uvicorn')
    calls: list[Any] = []
    monkeypatch.setattr(uvicorn, 'run', lambda target, **kw: calls.append((target, kw)))
    monkeypatch.delenv('LANNER_CHANNELS_URL', raising=False)
    cli.main(['serve', f'{module}:asgi_app', '--workers', '3'])
    assert calls[0][0] == f'{module}:asgi_app'  # workers import the app by name
    assert calls[0][1]['workers'] == 3 and calls[0][1]['factory'] is False
    err = capsys.readouterr().err
    assert 'warning: 3 workers without shared channels' in err
    assert 'LANNER_CHANNELS_URL' in err

    monkeypatch.setenv('LANNER_CHANNELS_URL', 'redis://127.0.0.1:6379/0')
    cli.main(['serve', f'{module}:asgi_app', '--workers', '2'])
    assert 'warning' not in capsys.readouterr().err
    monkeypatch.delenv('LANNER_CHANNELS_URL')
    servers: list[Any] = []

    def run_server(server: Any) -> None:
        servers.append(server)
        server.started = True

    monkeypatch.setattr(uvicorn.Server, 'run', run_server)
    cli.main(['serve', f'{module}:asgi_app'])  # one worker: nothing to warn about
    assert 'warning' not in capsys.readouterr().err
    assert len(calls) == 2 and servers[0].config.workers == 1


def test_serve_workers_with_a_shared_component(
    module: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uvicorn = pytest.importorskip('uvicorn')
    monkeypatch.setattr(uvicorn, 'run', lambda target, **kw: None)
    monkeypatch.delenv('LANNER_CHANNELS_URL', raising=False)

    class SharedChannels:
        shared = True

        async def process_startup(self, scope: Any, event: Any) -> None:
            pass

    app = cli._resolve(cli._main_parser()[0], f'{module}:asgi_app')[0]
    assert not cli._has_shared_channels(app)
    app.add_middleware(SharedChannels())
    assert cli._has_shared_channels(app)


@pytest.mark.parametrize('bad', ['0', '-2', 'many'])
def test_serve_workers_rejects_bad_counts(
    module: str, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(['serve', f'{module}:asgi_app', '--workers', bad])
    assert info.value.code == 2
    assert 'number of workers' in capsys.readouterr().err


def test_serve_workers_and_reload_conflict(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(['serve', f'{module}:asgi_app', '--workers', '2', '--reload'])
    assert 'cannot be combined' in capsys.readouterr().err
