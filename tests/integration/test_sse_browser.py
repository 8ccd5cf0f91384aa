"""The example app's notification stream in a real browser: headless Chromium's EventSource.

Chromium is driven through the DevTools protocol (a WebSocket), so no browser-automation package
is needed. Skipped when /usr/bin/chromium is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import itertools
import json
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any

import pytest

CHROMIUM = '/usr/bin/chromium'

pytestmark = [
    pytest.mark.server,
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason='Chromium is not installed'),
]

httpx = pytest.importorskip('httpx')
uvicorn = pytest.importorskip('uvicorn')
ws_client = pytest.importorskip('websockets.sync.client')


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning', timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={'sockets': [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError('uvicorn did not start')
            time.sleep(0.02)
        yield f'http://127.0.0.1:{port}'
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class DevTools:
    """A minimal Chrome DevTools Protocol client over one WebSocket."""

    def __init__(self, ws: Any) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    def call(self, method: str, session: str | None = None, **params: Any) -> Any:
        message_id = next(self._ids)
        message: dict[str, Any] = {'id': message_id, 'method': method, 'params': params}
        if session is not None:
            message['sessionId'] = session
        self._ws.send(json.dumps(message))
        while True:
            reply = json.loads(self._ws.recv(timeout=10))
            if reply.get('id') == message_id:
                if 'error' in reply:
                    raise RuntimeError(f'{method}: {reply["error"]}')
                return reply.get('result', {})


@contextlib.contextmanager
def chromium() -> Iterator[DevTools]:
    profile = tempfile.mkdtemp(prefix='lanner-chromium-')
    proc = subprocess.Popen(
        [
            CHROMIUM,
            '--headless=new',
            '--no-sandbox',
            '--disable-gpu',
            '--no-first-run',
            '--disable-extensions',
            '--remote-debugging-address=127.0.0.1',
            '--remote-debugging-port=0',
            f'--user-data-dir={profile}',
            'about:blank',
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        endpoint = None
        deadline = time.monotonic() + 30
        assert proc.stderr is not None
        while endpoint is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            found = re.search(r'DevTools listening on (ws://\S+)', line)
            if found:
                endpoint = found.group(1)
        if endpoint is None:
            pytest.skip('Chromium did not start a DevTools endpoint')
        # Keep draining stderr so Chromium never blocks on a full pipe.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        with ws_client.connect(endpoint, max_size=None, open_timeout=10) as ws:
            devtools = DevTools(ws)
            try:
                yield devtools
            finally:
                with contextlib.suppress(Exception):
                    devtools.call('Browser.close')
    finally:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(profile, ignore_errors=True)


def evaluate(devtools: DevTools, session: str, expression: str) -> Any:
    result = devtools.call('Runtime.evaluate', session, expression=expression, returnByValue=True)
    return result['result'].get('value')


def wait_for(devtools: DevTools, session: str, expression: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = evaluate(devtools, session, expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out waiting for {expression}')
        time.sleep(0.1)


SSE_LOG = "[...document.querySelectorAll('#sse-log li')].map(li => li.textContent)"


def test_example_notifications_in_chromium_eventsource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The example app lives in the repository root, which plain `pytest` does not put on sys.path.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))
    from examples.app import create_app

    app = create_app(str(tmp_path / 'notes.db'))
    with serve(app) as base, chromium() as devtools:
        target = devtools.call('Target.createTarget', url=f'{base}/static/index.html')
        session = devtools.call('Target.attachToTarget', targetId=target['targetId'], flatten=True)[
            'sessionId'
        ]
        devtools.call('Runtime.enable', session)
        wait_for(devtools, session, "document.getElementById('sse-state').textContent === 'open'")

        created = httpx.post(f'{base}/notes', json={'title': 'first', 'body': 'a\nb'}, timeout=5)
        assert created.status_code == 201
        note_id = created.json()['id']
        httpx.patch(f'{base}/notes/{note_id}', json={'title': 'second'}, timeout=5)

        lines = wait_for(devtools, session, f'(l => l.length >= 2 && l)({SSE_LOG})')
        assert 'note.created' in lines[0]
        assert '"first"' in lines[0]
        assert 'note.updated' in lines[1]
        assert '"second"' in lines[1]
        # EventSource saw the broker's ids (lastEventId is the first word of each line).
        ids = [line.split(' ', 1)[0] for line in lines]
        assert all(ids) and len(set(ids)) == 2
        # The multi-line body arrived as one JSON document (split into data: lines and rejoined).
        payload = json.loads(lines[0].split(' ', 2)[2])
        assert payload['note']['body'] == 'a\nb'
