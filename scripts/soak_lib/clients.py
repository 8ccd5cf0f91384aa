"""Soak clients other than the request mix: WebSocket echo, SSE subscribers, slow and abandoning
clients, and the large transfers. All asyncio, all to 127.0.0.1, all bounded in time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import hashlib
import json
import re
import socket
import struct
import time
from typing import Any

from soak_lib.data import BLOCK, blocks

HOST = '127.0.0.1'
LINGER_RESET = struct.pack('ii', 1, 0)  # SO_LINGER on with 0 s: close() sends RST


def reset(writer: asyncio.StreamWriter) -> None:
    """Drop a connection the way a vanished client does: RST, no orderly close."""
    sock = writer.get_extra_info('socket')
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
    writer.transport.abort()


async def read_head(reader: asyncio.StreamReader, timeout: float = 30.0) -> tuple[int, bytes]:
    head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'), timeout)
    return int(head[9:12]), head


def header(head: bytes, name: str) -> str | None:
    match = re.search(rb'\r\n' + name.encode() + rb':[ \t]*([^\r]*)', head, re.IGNORECASE)
    return match.group(1).decode('latin-1') if match else None


# ---------------------------------------------------------------------------------------------
# WebSocket echo (figure 3)


@dataclass
class EchoResult:
    connected: int = 0
    failed_connects: int = 0
    sent: int = 0
    received: int = 0
    lost: int = 0
    reordered: int = 0
    round_trips: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def ws_echo(
    port: int, clients: int, seconds: float, on_all_closed: Callable[[], None]
) -> EchoResult:
    """``clients`` WebSockets each send one numbered message per second for ``seconds`` and
    expect exactly that message back, in order; ``on_all_closed`` runs once all have closed."""
    from websockets.asyncio.client import connect

    result = EchoResult()
    url = f'ws://{HOST}:{port}/ws/echo'
    handshakes = asyncio.Semaphore(50)
    all_connected = asyncio.Event()
    start_at: list[float] = []

    async def client(number: int) -> None:
        try:
            async with handshakes:
                ws = await connect(url, open_timeout=60, ping_interval=None, close_timeout=5)
        except Exception as ex:
            result.failed_connects += 1
            if len(result.problems) < 5:
                result.problems.append(f'connect {number}: {ex!r}')
            return
        result.connected += 1
        if result.connected + result.failed_connects == clients:
            start_at.append(time.monotonic() + 1.0)
            all_connected.set()
        try:
            await asyncio.wait_for(all_connected.wait(), 120)
            begin = start_at[0] + (number % 100) / 100  # spread the sends over each second
            end = start_at[0] + seconds
            sequence = 0
            while begin + sequence < end:
                await asyncio.sleep(max(0.0, begin + sequence - time.monotonic()))
                message = f'{number}:{sequence}'
                sent_at = time.monotonic()
                await ws.send(message)
                result.sent += 1
                try:
                    answer = await asyncio.wait_for(ws.recv(), 5.0)
                except asyncio.TimeoutError:
                    result.lost += 1
                    sequence += 1
                    continue
                result.received += 1
                result.round_trips.append(time.monotonic() - sent_at)
                if answer != message:
                    result.reordered += 1
                    if len(result.problems) < 5:
                        result.problems.append(f'client {number}: sent {message!r}, got {answer!r}')
                sequence += 1
        finally:
            await ws.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    on_all_closed()
    return result


# ---------------------------------------------------------------------------------------------
# SSE subscribers (figure 4)


class Subscriber:
    """One EventSource-like client: keeps every event id it received, across reconnects."""

    def __init__(self, port: int, path: str) -> None:
        self.port = port
        self.path = path
        self.ids: list[str] = []
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None
        self.error: str | None = None
        self.connects = 0

    async def connect(self) -> None:
        """Open the stream (with ``Last-Event-ID`` when resuming); return once headers arrived."""
        reader, writer = await asyncio.open_connection(HOST, self.port)
        last = f'Last-Event-ID: {self.ids[-1]}\r\n' if self.ids else ''
        writer.write(
            f'GET {self.path} HTTP/1.1\r\nHost: {HOST}\r\nAccept: text/event-stream\r\n'
            f'{last}\r\n'.encode()
        )
        status, head = await read_head(reader)
        if status != 200 or 'chunked' not in (header(head, 'transfer-encoding') or ''):
            raise RuntimeError(f'unexpected SSE response: {head[:200]!r}')
        self.writer = writer
        self.connects += 1
        self.task = asyncio.get_running_loop().create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        pending = b''
        try:
            while True:
                size_line = await reader.readline()
                if not size_line:
                    return
                size = int(size_line.split(b';')[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    return
                pending += chunk[:-2]
                while b'\n\n' in pending:
                    event, pending = pending.split(b'\n\n', 1)
                    for line in event.split(b'\n'):
                        if line.startswith(b'id: '):
                            self.ids.append(line[4:].decode())
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            return
        except Exception as ex:  # a protocol error is a finding, not a crash of the soak
            self.error = repr(ex)

    async def drop(self) -> None:
        """Vanish (RST) and stop reading."""
        if self.writer is not None:
            reset(self.writer)
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


def event_sequence(ids: list[str]) -> list[int]:
    """Broker ids are ``<prefix><sequence number>``: return the sequence numbers."""
    return [int(re.search(r'(\d+)$', event_id).group(1)) for event_id in ids]  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Slow clients (figure 6) and abandoning clients (figure 5)


async def slow_reader(port: int, stop: asyncio.Event, counters: dict[str, int]) -> None:
    """Download something huge and read 1 KiB a second (a tiny receive buffer keeps it slow)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (HOST, port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=8192)
    writer.write(
        f'GET /download?size={1 << 30}&seed=slow HTTP/1.1\r\nHost: {HOST}\r\n\r\n'.encode()
    )
    counters['readers'] += 1
    try:
        while not stop.is_set():
            data = await reader.read(1024)
            if not data:
                counters['reader_eof'] += 1
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    finally:
        reset(writer)


async def slow_uploader(port: int, stop: asyncio.Event, counters: dict[str, int]) -> None:
    """Announce a 100 MiB upload and send 100 bytes a second."""
    _, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        f'POST /upload HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: {100 << 20}\r\n\r\n'.encode()
    )
    counters['uploaders'] += 1
    try:
        while not stop.is_set():
            writer.write(b'u' * 100)
            await writer.drain()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
    finally:
        reset(writer)


async def abandon(port: int, path: str, read_body: bool) -> None:
    """Start a streamed response, read its headers (and a first chunk), then vanish."""
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(f'GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n'.encode())
    status, _ = await read_head(reader)
    if status != 200:
        raise RuntimeError(f'{path}: status {status}')
    if read_body:
        await asyncio.wait_for(reader.readline(), 10)
    reset(writer)


# ---------------------------------------------------------------------------------------------
# Large transfers (figure 7)


async def upload(
    port: int, seed: str, size: int, chunked: bool = False
) -> tuple[dict[str, Any], str]:
    """POST ``size`` bytes; return the server's answer and the SHA-256 computed here.

    ``chunked``: sent with ``Transfer-Encoding: chunked`` (one chunk per block) and no length.
    """
    reader, writer = await asyncio.open_connection(HOST, port)
    digest = hashlib.sha256()
    framing = 'Transfer-Encoding: chunked' if chunked else f'Content-Length: {size}'
    try:
        writer.write(
            f'POST /upload HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/octet-stream\r\n'
            f'{framing}\r\nConnection: close\r\n\r\n'.encode()
        )
        for data in blocks(seed, size):
            digest.update(data)
            writer.write(b'%x\r\n%s\r\n' % (len(data), data) if chunked else data)
            await writer.drain()
        if chunked:
            writer.write(b'0\r\n\r\n')
        status, head = await read_head(reader, timeout=120)
        length = int(header(head, 'content-length') or 0)
        body = await asyncio.wait_for(reader.readexactly(length), 30)
        if status != 200:
            raise RuntimeError(f'upload answered {status}: {body[:200]!r}')
        return json.loads(body), digest.hexdigest()
    finally:
        writer.close()


async def download(port: int, seed: str, size: int) -> tuple[int, str]:
    """GET ``size`` bytes; return how many arrived and their SHA-256."""
    reader, writer = await asyncio.open_connection(HOST, port, limit=4 * BLOCK)
    digest = hashlib.sha256()
    received = 0
    try:
        writer.write(
            f'GET /download?size={size}&seed={seed} HTTP/1.1\r\nHost: {HOST}\r\n'
            'Connection: close\r\n\r\n'.encode()
        )
        status, _ = await read_head(reader)
        if status != 200:
            raise RuntimeError(f'download answered {status}')
        while True:
            data = await asyncio.wait_for(reader.read(4 * BLOCK), 60)
            if not data:
                break
            digest.update(data)
            received += len(data)
        return received, digest.hexdigest()
    finally:
        writer.close()
