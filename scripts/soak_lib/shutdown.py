"""Figure 8: SIGTERM to ``lanner serve examples.app:app`` with streams, sockets and load in flight.

SSE subscribers on ``/notifications``, WebSockets on ``/feed``, note-creating HTTP load and a few
uploads caught half-sent (the rest of their body goes after the signal). Measured: how each SSE
body ended (complete chunked body or cut), whether each WebSocket got a close frame and its
code, the uploads' statuses, responses cut or 5xx, and the time from SIGTERM to the exit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import json
import signal
import subprocess
import time
from typing import Any

from soak_lib.servers import HOST

_UPLOAD_BODY = json.dumps({'title': 'in flight', 'body': 'x' * 5000}).encode()
_LOAD_BODY = json.dumps({'title': 'soak shutdown'}).encode()


@dataclass
class Result:
    sse_complete: int = 0
    sse_cut: int = 0
    ws_close_codes: dict[str, int] = field(default_factory=dict)
    ws_without_close_frame: int = 0
    upload_statuses: list[int | None] = field(default_factory=list)
    load_answered: int = 0
    load_broken: int = 0
    exited_after: float = 0.0
    exit_code: int | None = None


def chunked_complete(body: bytes) -> bool:
    """Whether ``body`` is a well-formed chunked body ending with its terminating chunk."""
    rest = body
    while True:
        line, sep, rest = rest.partition(b'\r\n')
        if not sep:
            return False
        try:
            size = int(line.split(b';')[0], 16)
        except ValueError:
            return False
        if size == 0:
            return rest == b'\r\n'
        if rest[size : size + 2] != b'\r\n':
            return False
        rest = rest[size + 2 :]


async def _read_to_end(reader: asyncio.StreamReader, timeout: float) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), left)
        except (TimeoutError, ConnectionError):
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def _sse(port: int, ready: asyncio.Queue[None], result: Result, bound: float) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b'GET /notifications HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'), 30)
    ready.put_nowait(None)
    if chunked_complete(await _read_to_end(reader, bound)):
        result.sse_complete += 1
    else:
        result.sse_cut += 1
    writer.close()


async def _ws(port: int, ready: asyncio.Queue[None], result: Result, bound: float) -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    async with connect(f'ws://{HOST}:{port}/feed', open_timeout=30) as ws:
        await ws.send('ping')
        while await asyncio.wait_for(ws.recv(), 30) != 'pong':
            pass
        ready.put_nowait(None)
        try:
            while True:
                await asyncio.wait_for(ws.recv(), bound)
        except (ConnectionClosed, TimeoutError):
            pass
        code = str(ws.close_code)
        result.ws_close_codes[code] = result.ws_close_codes.get(code, 0) + 1
        if ws.protocol.close_rcvd is None:
            result.ws_without_close_frame += 1


async def _upload(
    port: int, ready: asyncio.Queue[None], signalled: asyncio.Event, result: Result, bound: float
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        b'POST /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
        b'Content-Length: %d\r\n\r\n' % len(_UPLOAD_BODY) + _UPLOAD_BODY[:100]
    )
    await writer.drain()
    ready.put_nowait(None)
    await signalled.wait()
    writer.write(_UPLOAD_BODY[100:])
    data = await _read_to_end(reader, bound)
    result.upload_statuses.append(int(data[9:12]) if data[:9] == b'HTTP/1.1 ' else None)
    writer.close()


async def _load(port: int, stop: asyncio.Event, result: Result) -> None:
    request = (
        b'POST /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
        b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n'
        % len(_LOAD_BODY)
        + _LOAD_BODY
    )
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(request)
            await writer.drain()
        except OSError:
            await asyncio.sleep(0.05)  # refused: the server stopped accepting
            continue
        data = await _read_to_end(reader, 30)
        writer.close()
        if not data:
            continue  # closed unread: it arrived as the server stopped accepting
        head, _, body = data.partition(b'\r\n\r\n')
        lengths = [
            int(line.split(b':')[1])
            for line in head.split(b'\r\n')
            if line.lower().startswith(b'content-length:')
        ]
        if int(data[9:12]) >= 500 or not lengths or len(body) != lengths[0]:
            result.load_broken += 1
        else:
            result.load_answered += 1


async def run(
    proc: subprocess.Popen[bytes],
    port: int,
    *,
    sse: int,
    websockets: int,
    uploads: int = 5,
    load_clients: int = 8,
    grace: float,
) -> Result:
    """Attach everything, let the load run for a second, then SIGTERM and measure."""
    result = Result()
    ready: asyncio.Queue[None] = asyncio.Queue()
    signalled, stop = asyncio.Event(), asyncio.Event()
    bound = grace + 30
    tasks: list[asyncio.Task[Any]] = []
    for _ in range(sse):
        tasks.append(asyncio.create_task(_sse(port, ready, result, bound)))
    for _ in range(websockets):
        tasks.append(asyncio.create_task(_ws(port, ready, result, bound)))
    for _ in range(uploads):
        tasks.append(asyncio.create_task(_upload(port, ready, signalled, result, bound)))
    loaders = [asyncio.create_task(_load(port, stop, result)) for _ in range(load_clients)]
    for _ in range(sse + websockets + uploads):
        await asyncio.wait_for(ready.get(), 120)
    await asyncio.sleep(1.0)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.3)
    signalled.set()
    result.exit_code = await asyncio.to_thread(proc.wait, bound)
    result.exited_after = time.monotonic() - started
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks, *loaders, return_exceptions=True), 120)
    return result
