"""SIGTERM to ``lanner serve examples.app:app`` under load: every stream ends cleanly, at once.

20 EventSource-style clients on ``/notifications``, 20 WebSockets on ``/feed``, note-creating
HTTP load and a few uploads caught half-sent, then SIGTERM. Expected (docs/reliability.md,
"Shutdown with work in flight"):

* every SSE response ends with a complete chunked body (the terminating chunk), so an
  EventSource client reconnects elsewhere rather than seeing a cut stream;
* every WebSocket gets a close frame (1012 from uvicorn, or 1001);
* the uploads in flight complete (201) and no response is cut or a 5xx;
* the process exits well within the graceful timeout, with nothing left for uvicorn to cancel.

The bounds are generous (a loaded 2-core machine): the graceful timeout is 20 s and the exit
must come within half of it; without ``App.begin_shutdown`` the streams would hold the process
for the whole 20 s and then be cut.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.server
ws_client = pytest.importorskip('websockets.asyncio.client')
ws_exceptions = pytest.importorskip('websockets.exceptions')
pytest.importorskip('uvicorn')

ROOT = Path(__file__).resolve().parents[2]
HOST = '127.0.0.1'
GRACE = 20.0
SSE_CLIENTS = 20
WS_CLIENTS = 20
LOAD_CLIENTS = 4
UPLOADS = 3


@dataclass
class Outcome:
    sse: list[bytes] = field(default_factory=list)
    ws: list[tuple[int | None, bool]] = field(default_factory=list)
    uploads: list[int | None] = field(default_factory=list)
    load_statuses: list[int] = field(default_factory=list)
    load_refused: int = 0
    load_broken: list[bytes] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _dechunk(body: bytes) -> tuple[bytes, bool]:
    """The payload of a chunked body, and whether it ended with the terminating chunk."""
    payload = bytearray()
    rest = body
    while True:
        line, sep, rest = rest.partition(b'\r\n')
        if not sep:
            return bytes(payload), False
        try:
            size = int(line.split(b';')[0], 16)
        except ValueError:
            return bytes(payload), False
        if size == 0:
            return bytes(payload), rest == b'\r\n'
        if len(rest) < size + 2 or rest[size : size + 2] != b'\r\n':
            return bytes(payload), False
        payload += rest[:size]
        rest = rest[size + 2 :]


async def _read_all(reader: asyncio.StreamReader, timeout: float) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), deadline - time.monotonic())
        except (TimeoutError, asyncio.TimeoutError, ConnectionError):
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def _sse_client(port: int, ready: asyncio.Queue[int], out: Outcome) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        b'GET /notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n'
    )
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'), 30)
    ready.put_nowait(1)
    out.sse.append(head + await _read_all(reader, GRACE + 30))
    writer.close()


async def _ws_client(port: int, ready: asyncio.Queue[int], out: Outcome) -> None:
    async with ws_client.connect(f'ws://{HOST}:{port}/feed', open_timeout=30) as ws:
        await ws.send('ping')
        while await asyncio.wait_for(ws.recv(), 30) != 'pong':
            pass  # a note event published by the load may come first
        ready.put_nowait(1)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), GRACE + 30)
        except ws_exceptions.ConnectionClosed:
            pass
        out.ws.append((ws.close_code, ws.protocol.close_rcvd is not None))


async def _upload(port: int, ready: asyncio.Queue[int], sent: asyncio.Event, out: Outcome) -> None:
    body = json.dumps({'title': 'in flight', 'body': 'x' * 5000}).encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        b'POST /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
        b'Content-Length: %d\r\n\r\n' % len(body) + body[:100]
    )
    await writer.drain()
    ready.put_nowait(1)
    await sent.wait()  # the rest goes after SIGTERM: the request is in flight during it
    writer.write(body[100:])
    await writer.drain()
    data = await _read_all(reader, GRACE + 30)
    out.uploads.append(int(data[9:12]) if data.startswith(b'HTTP/1.1 ') else None)
    writer.close()


async def _load(port: int, stop: asyncio.Event, out: Outcome) -> None:
    body = json.dumps({'title': 'load'}).encode()
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            out.load_refused += 1
            await asyncio.sleep(0.05)
            continue
        try:
            writer.write(
                b'POST /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
                b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n' % len(body) + body
            )
            await writer.drain()
        except OSError:
            out.load_refused += 1
            continue
        data = await _read_all(reader, 30)
        writer.close()
        if not data:
            out.load_refused += 1  # closed before it was read: the server was no longer serving
            continue
        head, _, rest = data.partition(b'\r\n\r\n')
        status = int(data[9:12])
        length = [
            int(line.split(b':')[1])
            for line in head.split(b'\r\n')
            if line.lower().startswith(b'content-length:')
        ]
        if status >= 500 or not length or len(rest) != length[0]:
            out.load_broken.append(data[:300])
        out.load_statuses.append(status)


async def _scenario(proc: subprocess.Popen[bytes], port: int) -> tuple[Outcome, float]:
    out = Outcome()
    ready: asyncio.Queue[int] = asyncio.Queue()
    sent, stop = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.ensure_future(_sse_client(port, ready, out)) for _ in range(SSE_CLIENTS)]
    tasks += [asyncio.ensure_future(_ws_client(port, ready, out)) for _ in range(WS_CLIENTS)]
    tasks += [asyncio.ensure_future(_upload(port, ready, sent, out)) for _ in range(UPLOADS)]
    loaders = [asyncio.ensure_future(_load(port, stop, out)) for _ in range(LOAD_CLIENTS)]
    for _ in range(SSE_CLIENTS + WS_CLIENTS + UPLOADS):
        await asyncio.wait_for(ready.get(), 60)
    await asyncio.sleep(1.0)  # load running; the uploads' heads parsed and waiting for bodies
    assert not out.load_broken and out.load_statuses, (out.load_broken, out.load_statuses)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.3)
    sent.set()
    exit_code = await asyncio.to_thread(proc.wait, GRACE + 30)
    exited_after = time.monotonic() - started
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks, *loaders), 60)
    assert exit_code in (0, -signal.SIGTERM), exit_code
    return out, exited_after


def test_sigterm_under_load_ends_every_stream_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    log_path = tmp_path / 'serve.log'
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env.pop('LANNER_CHANNELS_URL', None)
    with log_path.open('wb') as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                '-m',
                'lanner.cli',
                'serve',
                'examples.app:app',
                '--host',
                HOST,
                '--port',
                str(port),
                '--graceful-timeout',
                str(GRACE),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_serving(proc, port, log_path)
        out, exited_after = asyncio.run(_scenario(proc, port))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    server_log = log_path.read_text(errors='replace')
    codes = sorted({code for code, _ in out.ws}, key=str)
    print(
        f'exited {exited_after:.2f} s after SIGTERM; SSE: {len(out.sse)} ended; WebSocket close '
        f'codes {codes}; uploads {out.uploads}; HTTP load: {len(out.load_statuses)} answered, '
        f'{out.load_refused} refused once the server stopped accepting'
    )

    assert len(out.sse) == SSE_CLIENTS
    for raw in out.sse:
        head, _, body = raw.partition(b'\r\n\r\n')
        assert head.startswith(b'HTTP/1.1 200'), head
        assert b'transfer-encoding: chunked' in head.lower(), head
        _, complete = _dechunk(body)
        assert complete, f'SSE stream cut, not ended: {body[-200:]!r}'
    assert len(out.ws) == WS_CLIENTS
    for code, close_frame in out.ws:
        assert close_frame and code in (1001, 1012), (code, close_frame)
    assert out.uploads == [201] * UPLOADS, out.uploads
    assert not out.load_broken, out.load_broken
    assert exited_after < GRACE / 2, (exited_after, server_log[-2000:])
    assert 'timeout graceful shutdown exceeded' not in server_log, server_log[-2000:]
    assert 'Traceback' not in server_log, server_log[-4000:]


def _wait_serving(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'lanner serve exited early:\n{log_path.read_text()}')
        try:
            with socket.create_connection((HOST, port), timeout=2) as sock:
                sock.sendall(b'GET /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
                if sock.recv(12).startswith(b'HTTP/1.1 200'):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f'lanner serve not serving after 60 s:\n{log_path.read_text()}')
