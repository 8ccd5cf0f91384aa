"""ASGI lifespan: process_startup / process_shutdown ordering and failure reporting."""

from __future__ import annotations

from typing import Any

import pytest
from support.simple_router import SimpleRouter

import lanner.asgi
import lanner.util.deprecation


async def run_lifespan(
    app: Any, events: list[str], asgi_version: str = '3.0', spec_version: str | None = None
) -> list[dict[str, Any]]:
    incoming = [{'type': event} for event in events]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asgi: dict[str, Any] = {'version': asgi_version}
    if spec_version is not None:
        asgi['spec_version'] = spec_version
    await app({'type': 'lifespan', 'asgi': asgi}, receive, send)
    return sent


class Recorder:
    def __init__(self, name: str, log: list[str], fail: str | None = None) -> None:
        self.name = name
        self.log = log
        self.fail = fail

    async def process_startup(self, scope: Any, event: Any) -> None:
        assert event['type'] == 'lifespan.startup'
        self.log.append(f'{self.name}.startup')
        if self.fail == 'startup':
            raise RuntimeError(f'{self.name} cannot start: database unreachable')

    async def process_shutdown(self, scope: Any, event: Any) -> None:
        assert event['type'] == 'lifespan.shutdown'
        self.log.append(f'{self.name}.shutdown')
        if self.fail == 'shutdown':
            raise RuntimeError(f'{self.name} cannot stop')


def make(*components: object) -> lanner.asgi.App:
    return lanner.asgi.App(router=SimpleRouter(), middleware=list(components))


async def test_startup_in_order_shutdown_in_reverse() -> None:
    log: list[str] = []
    app = make(Recorder('a', log), Recorder('b', log), Recorder('c', log))
    sent = await run_lifespan(app, ['lifespan.startup', 'lifespan.shutdown'])
    assert sent == [{'type': 'lifespan.startup.complete'}, {'type': 'lifespan.shutdown.complete'}]
    assert log == ['a.startup', 'b.startup', 'c.startup', 'c.shutdown', 'b.shutdown', 'a.shutdown']


async def test_startup_failure_reports_the_reason_and_stops() -> None:
    log: list[str] = []
    app = make(Recorder('a', log), Recorder('b', log, fail='startup'), Recorder('c', log))
    sent = await run_lifespan(app, ['lifespan.startup'])
    assert len(sent) == 1
    assert sent[0]['type'] == 'lifespan.startup.failed'
    assert 'b cannot start: database unreachable' in sent[0]['message']
    assert 'Traceback' in sent[0]['message']
    assert log == ['a.startup', 'b.startup']  # the remaining handlers are skipped


async def test_shutdown_failure_is_reported() -> None:
    log: list[str] = []
    app = make(Recorder('a', log), Recorder('b', log, fail='shutdown'))
    sent = await run_lifespan(app, ['lifespan.startup', 'lifespan.shutdown'])
    assert sent[0] == {'type': 'lifespan.startup.complete'}
    assert sent[1]['type'] == 'lifespan.shutdown.failed'
    assert 'b cannot stop' in sent[1]['message']
    assert log == ['a.startup', 'b.startup', 'b.shutdown']


async def test_without_middleware_and_unknown_events_ignored() -> None:
    app = make()
    sent = await run_lifespan(app, ['lifespan.startup', 'lifespan.unknown', 'lifespan.shutdown'])
    assert sent == [{'type': 'lifespan.startup.complete'}, {'type': 'lifespan.shutdown.complete'}]


async def test_shutdown_only() -> None:
    log: list[str] = []
    sent = await run_lifespan(make(Recorder('a', log)), ['lifespan.shutdown'])
    assert sent == [{'type': 'lifespan.shutdown.complete'}]
    assert log == ['a.shutdown']


async def test_asgi_2_server_is_refused() -> None:
    sent = await run_lifespan(make(), ['lifespan.startup'], asgi_version='2.0')
    assert sent[0]['type'] == 'lifespan.startup.failed'
    assert '3.x' in sent[0]['message'] and "'2.0'" in sent[0]['message']
    # Falcon's wording at the start (tools match on it).
    assert sent[0]['message'].startswith('Falcon requires ASGI version 3.x')


async def test_auto_parse_form_urlencoded_is_refused() -> None:
    app = make()
    with pytest.warns(lanner.util.deprecation.DeprecatedWarning):
        app.req_options.auto_parse_form_urlencoded = True
    sent = await run_lifespan(app, ['lifespan.startup'])
    assert sent[0]['type'] == 'lifespan.startup.failed'
    assert 'auto_parse_form_urlencoded' in sent[0]['message']


async def test_unsupported_lifespan_spec_version() -> None:
    with pytest.raises(lanner.UnsupportedScopeError):
        await run_lifespan(make(), ['lifespan.startup'], spec_version='3.0')


def test_sync_lifespan_methods_are_rejected_at_registration() -> None:
    class SyncStartup:
        def process_startup(self, scope: Any, event: Any) -> None:
            pass

    with pytest.raises(lanner.CompatibilityError, match=r'process_startup.*async def'):
        make(SyncStartup())


def test_lifespan_with_a_real_server_failure_exits(tmp_path: Any) -> None:
    """uvicorn reports the startup failure reason and exits with an error status."""
    pytest.importorskip('uvicorn')
    import subprocess
    import sys

    module = tmp_path / 'failing_app.py'
    module.write_text(
        'import lanner.asgi\n'
        'class Broken:\n'
        '    async def process_startup(self, scope, event):\n'
        '        raise RuntimeError("cannot reach the database")\n'
        'app = lanner.asgi.App(router=__import__("support.simple_router", fromlist=["x"])'
        '.SimpleRouter(), middleware=[Broken()])\n'
    )
    import os

    tests_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(tmp_path), tests_dir])}
    proc = subprocess.run(
        [sys.executable, '-m', 'uvicorn', 'failing_app:app', '--port', '0', '--lifespan', 'on'],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode != 0
    assert 'cannot reach the database' in proc.stderr + proc.stdout
