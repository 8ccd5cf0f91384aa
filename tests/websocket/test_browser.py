"""The example app's WebSocket feed, driven by headless Chromium against a real uvicorn server.

Chromium is Debian's ``chromium`` package; the test is skipped when it (or the example app) is
absent. The browser is controlled over the Chrome DevTools Protocol with the ``websockets``
client, so no browser-automation package is needed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
import itertools
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any
import urllib.request

import pytest

pytestmark = [pytest.mark.server, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = next((p for p in (shutil.which(n) for n in ('chromium', 'chromium-browser')) if p), None)


def _example_app() -> Any:
    if not (REPO / 'examples' / 'app.py').exists():
        pytest.skip('the example app (examples/app.py) is absent')
    pytest.importorskip('lanner.sse', reason='the example app also needs lanner-sse')
    pytest.importorskip('lanner.routing', reason='the example app uses the default router')
    pytest.importorskip('uvicorn')
    sys.path.insert(0, str(REPO))
    try:
        from examples.app import create_app
    finally:
        sys.path.remove(str(REPO))
    return create_app()


@contextlib.contextmanager
def chromium() -> Iterator[str]:
    """Start headless Chromium; yields the DevTools HTTP address (``127.0.0.1:<port>``)."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix='lanner-chromium-') as profile:
        process = subprocess.Popen(
            [
                CHROMIUM,
                '--headless=new',
                '--no-sandbox',  # tests may run as root in a container
                '--disable-gpu',
                '--disable-dev-shm-usage',
                '--no-first-run',
                '--no-default-browser-check',
                '--no-proxy-server',
                '--remote-debugging-address=127.0.0.1',
                '--remote-debugging-port=0',
                f'--user-data-dir={profile}',
                'about:blank',
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / 'DevToolsActivePort'
            deadline = time.monotonic() + 20
            while not (port_file.exists() and port_file.read_text().strip()):
                if process.poll() is not None:
                    pytest.skip(f'chromium exited at startup (status {process.returncode})')
                if time.monotonic() > deadline:
                    raise AssertionError('chromium did not open its DevTools port in 20 s')
                time.sleep(0.05)
            port = port_file.read_text().split()[0]
            yield f'127.0.0.1:{port}'
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


class Page:
    """A minimal DevTools Protocol session on one page target."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> Any:
        message_id = next(self.ids)
        await self.connection.send(
            json.dumps({'id': message_id, 'method': method, 'params': params})
        )
        while True:
            reply = json.loads(await asyncio.wait_for(self.connection.recv(), 10))
            if reply.get('id') == message_id:
                if 'error' in reply:
                    raise AssertionError(f'{method} failed: {reply["error"]}')
                return reply.get('result')

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            'Runtime.evaluate', expression=expression, awaitPromise=True, returnByValue=True
        )
        if result.get('exceptionDetails'):
            raise AssertionError(f'{expression!r} raised: {result["exceptionDetails"]}')
        return result['result'].get('value')

    async def wait_until(self, expression: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f'timed out waiting for {expression!r}')
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def open_page(devtools: str) -> AsyncIterator[Page]:
    from websockets.asyncio.client import connect

    # The page target chromium opened for about:blank; /json/list is plain HTTP on 127.0.0.1
    # (fetched without any proxy configured in the environment).
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f'http://{devtools}/json/list', timeout=10) as response:
        targets = json.loads(response.read())
    page = next(t for t in targets if t.get('type') == 'page')
    async with connect(page['webSocketDebuggerUrl'], proxy=None, max_size=None) as connection:
        yield Page(connection)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium package is not installed")
async def test_example_feed_in_headless_chromium() -> None:
    from live_server import live_server

    app = _example_app()
    with live_server(app) as server, chromium() as devtools:
        async with open_page(devtools) as page:
            await page.call('Page.enable')
            await page.call('Page.navigate', url=f'http://{server}/')
            # The page opens ws://<host>/feed, sends "ping" and logs what arrives.
            await page.wait_until("document.getElementById('ws-state')?.textContent === 'open'")
            await page.wait_until(
                "[...document.querySelectorAll('#ws-log li')].some(li => li.textContent === 'pong')"
            )
            # Create a note over HTTP from the page; the feed must push it to the browser.
            status = await page.evaluate(
                "fetch('/notes', {method: 'POST', headers: {'Content-Type': 'application/json'},"
                " body: JSON.stringify({title: 'from chromium', body: 'hi'})}).then(r => r.status)"
            )
            assert status == 201
            line = await page.wait_until(
                "[...document.querySelectorAll('#ws-log li')].map(li => li.textContent)"
                ".find(t => t.includes('note.created'))"
            )
            event = json.loads(line)
            assert event['event'] == 'note.created'
            assert event['note']['title'] == 'from chromium'
            # Closing the page closes its socket; the server forgets it.
            await page.evaluate('ws.close(1000); true')
            await page.wait_until("document.getElementById('ws-state').textContent === 'closed'")


def test_chromium_detection_is_honest() -> None:
    """The skip above is driven by the real PATH lookup, not a hard-coded flag."""
    found = shutil.which('chromium') or shutil.which('chromium-browser')
    assert (CHROMIUM is None) == (found is None)
    if found:
        assert os.access(found, os.X_OK)
