"""ASGI ``resp.stream``: an abandoned stream stops when the client leaves.

Servers silently drop what is sent into a closed connection, so the App watches ``receive()``
for ``http.disconnect`` while it streams, once the request body is all in (before that,
``receive()`` belongs to whoever reads the body). Every kind of stream is covered: an async
iterator, a sync iterable and a file-like object.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import io
import time
from typing import Any

import pytest
from support.harness import build_scope, call_asgi_async

import lanner.asgi

CHUNK = b'x' * 100


class Probe:
    def __init__(self) -> None:
        self.produced = 0
        self.closed_at: float | None = None


class EndlessFile(io.RawIOBase):
    """A file-like stream that never ends (a download from an endless source)."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.probe.produced += 1
        return CHUNK

    def close(self) -> None:
        if self.probe.closed_at is None:
            self.probe.closed_at = time.monotonic()
        super().close()


def _stream(kind: str, probe: Probe) -> Any:
    if kind == 'file':
        return EndlessFile(probe)

    def sync_chunks() -> Iterator[bytes]:
        try:
            while True:
                probe.produced += 1
                yield CHUNK
        finally:
            probe.closed_at = time.monotonic()

    async def async_chunks() -> AsyncIterator[bytes]:
        try:
            while True:
                probe.produced += 1
                yield CHUNK
                await asyncio.sleep(0.001)
        finally:
            probe.closed_at = time.monotonic()

    return sync_chunks() if kind == 'sync' else async_chunks()


class Teardown:
    def __init__(self) -> None:
        self.completed: list[bool] = []

    async def process_teardown(self, req: Any, resp: Any, resource: Any, ok: bool) -> None:
        self.completed.append(ok)


def _app(kind: str, probe: Probe, teardown: Teardown) -> lanner.asgi.App:
    from support.simple_router import SimpleRouter

    class Download:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.stream = _stream(kind, probe)

        async def on_post(self, req: Any, resp: Any) -> None:
            # Echo the request body while it is still arriving: receive() is the body's.
            resp.stream = req.stream

    app = lanner.asgi.App(router=SimpleRouter(), middleware=[teardown])
    app.add_route('/download', Download())
    return app


async def _abandon(app: Any, after_chunks: int) -> tuple[float, list[dict[str, Any]]]:
    """Read ``after_chunks`` body chunks, then leave; return when the client left."""
    gone = asyncio.Event()
    left_at = 0.0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not sent:
            return {'type': 'http.request', 'body': b'', 'more_body': False}
        await gone.wait()
        return {'type': 'http.disconnect'}

    async def send(message: dict[str, Any]) -> None:
        nonlocal left_at
        if gone.is_set():
            return  # like uvicorn: sends into a closed connection vanish
        sent.append(message)
        if len([m for m in sent if m.get('body')]) >= after_chunks:
            left_at = time.monotonic()
            gone.set()

    await asyncio.wait_for(app(build_scope('GET', '/download'), receive, send), 5)
    return left_at, sent


@pytest.mark.parametrize('kind', ['async', 'sync', 'file'])
def test_abandoned_stream_is_closed_promptly(kind: str) -> None:
    probe, teardown = Probe(), Teardown()
    app = _app(kind, probe, teardown)
    left_at, sent = asyncio.run(_abandon(app, after_chunks=3))
    assert probe.closed_at is not None, 'the stream was never closed'
    assert probe.closed_at - left_at < 0.5
    assert probe.produced < 100  # it did not keep producing into the void
    assert [m['type'] for m in sent].count('http.response.start') == 1
    assert teardown.completed == [False]  # the response did not reach the client whole


@pytest.mark.parametrize('kind', ['async', 'sync', 'file'])
def test_finite_stream_ends_with_one_final_event(kind: str) -> None:
    chunks = [b'a', b'', b'b', b'c']

    async def agen() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    stream: Any = {'async': agen, 'sync': lambda: iter(chunks), 'file': None}[kind]
    teardown = Teardown()
    app = _app('async', Probe(), teardown)

    class Finite:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.stream = io.BytesIO(b'abc') if stream is None else stream()

    app.add_route('/finite', Finite())
    sent: list[dict[str, Any]] = []

    async def main() -> Any:
        async def record(scope: Any, receive: Any, send: Any) -> None:
            async def capture(message: dict[str, Any]) -> None:
                sent.append(message)
                await send(message)

            await app(scope, receive, capture)

        return await call_asgi_async(record, build_scope('GET', '/finite'))

    result = asyncio.run(main())
    assert result.content == b'abc'
    finals = [m for m in sent if m['type'] == 'http.response.body' and not m.get('more_body')]
    assert len(finals) == 1 and sent[-1] is finals[0]
    assert teardown.completed == [True]


@pytest.mark.parametrize('content_type', ['application/octet-stream', 'text/event-stream'])
def test_event_stream_idiom_sends_one_final_event(content_type: str) -> None:
    # resp.stream yielding serialized events was sent a second final body event before.
    teardown = Teardown()
    app = _app('async', Probe(), teardown)

    async def events() -> AsyncIterator[bytes]:
        yield b'data: one\n\n'

    class Events:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = content_type
            resp.stream = events()

    app.add_route('/events', Events())
    sent: list[dict[str, Any]] = []

    async def record(scope: Any, receive: Any, send: Any) -> None:
        async def capture(message: dict[str, Any]) -> None:
            sent.append(message)
            await send(message)

        await app(scope, receive, capture)

    asyncio.run(call_asgi_async(record, build_scope('GET', '/events')))
    bodies = [m for m in sent if m['type'] == 'http.response.body']
    assert [m.get('more_body', False) for m in bodies] == [True, False]


def test_stream_of_a_body_still_arriving_is_not_watched() -> None:
    # The request body comes in several events while the response streams it back: receive()
    # must be left to the body stream, so the whole body is echoed.
    teardown = Teardown()
    app = _app('async', Probe(), teardown)
    scope = build_scope('POST', '/download', headers={'Content-Length': '26'})
    body = b'abcdefghijklmnopqrstuvwxyz'
    result = asyncio.run(call_asgi_async(app, scope, body, chunk_size=4))
    assert result.content == body
    assert teardown.completed == [True]
