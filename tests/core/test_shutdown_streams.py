"""ASGI lifespan shutdown with streamed responses still in flight (lanner.asgi._shutdown).

uvicorn cancels the request tasks left at the end of its graceful timeout, sends the lifespan
``shutdown`` event without waiting for them, and ends the process as soon as the app answers
``lifespan.shutdown.complete``. These tests do the same in process: whatever has not happened
when the App sends ``lifespan.shutdown.complete`` would never happen on a real server.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import sys
from typing import Any

import pytest
from support.harness import build_scope
from support.simple_router import SimpleRouter

import lanner.asgi

CLEAN_UP_SECONDS = 0.05  # an emitter's finally that awaits, e.g. an async unsubscribe


class Tick:
    """An event as core consumes one: any object with ``serialize(handler=None) -> bytes``.

    (lanner-sse's SSEvent is one; core's tests do not need that distribution.)
    """

    def serialize(self, handler: Any = None) -> bytes:
        return b'data: tick\n\n'


class Probe:
    def __init__(self) -> None:
        self.sent = 0
        self.cleaned_up = False
        self.first_chunk = asyncio.Event()


def _emitter(probe: Probe, kind: str) -> AsyncIterator[Any]:
    async def endless() -> AsyncIterator[Any]:
        try:
            while True:
                probe.sent += 1
                if kind == 'sse':
                    yield Tick()
                else:
                    yield b'data: tick\n\n' if kind == 'event-stream' else b'tick\n'
                await asyncio.sleep(0.005)
        finally:
            await asyncio.sleep(CLEAN_UP_SECONDS)
            probe.cleaned_up = True

    return endless()


class Streams:
    def __init__(self, probe: Probe) -> None:
        self.probe = probe

    async def on_get(self, req: Any, resp: Any, kind: str) -> None:
        if kind == 'sse':
            resp.sse = _emitter(self.probe, kind)
            return
        if kind == 'event-stream':
            resp.content_type = 'text/event-stream'
        resp.stream = _emitter(self.probe, kind)


class ShutdownRecorder:
    """process_shutdown notes whether the stream had already finished its clean-up."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.saw_cleaned_up: bool | None = None

    async def process_shutdown(self, scope: Any, event: Any) -> None:
        self.saw_cleaned_up = self.probe.cleaned_up


class Exchange:
    """One HTTP request to the App: the messages it sent, and a receive() that blocks."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        self.messages: list[dict[str, Any]] = []
        self.gone = asyncio.Event()
        self.first = True

    async def receive(self) -> dict[str, Any]:
        if self.first:
            self.first = False
            return {'type': 'http.request', 'body': b'', 'more_body': False}
        await self.gone.wait()  # a server blocks here until the client leaves
        return {'type': 'http.disconnect'}

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        if message['type'] == 'http.response.body' and message.get('body'):
            self.probe.first_chunk.set()

    @property
    def ended_cleanly(self) -> bool:
        last = self.messages[-1]
        return last['type'] == 'http.response.body' and not last.get('more_body', False)


async def _shutdown(app: Any, probe: Probe) -> tuple[list[dict[str, Any]], bool]:
    """Run the lifespan shutdown; also return whether the clean-up was done when it answered."""
    incoming = [{'type': 'lifespan.startup'}, {'type': 'lifespan.shutdown'}]
    sent: list[dict[str, Any]] = []
    cleaned_at_complete = False

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        nonlocal cleaned_at_complete
        sent.append(message)
        if message['type'] == 'lifespan.shutdown.complete':
            cleaned_at_complete = probe.cleaned_up

    scope = {'type': 'lifespan', 'asgi': {'version': '3.0', 'spec_version': '2.0'}}
    await asyncio.wait_for(app(scope, receive, send), 10)
    return sent, cleaned_at_complete


def _app(probe: Probe) -> tuple[lanner.asgi.App, ShutdownRecorder]:
    recorder = ShutdownRecorder(probe)
    app = lanner.asgi.App(router=SimpleRouter(), middleware=[recorder])
    app.add_route('/streams/{kind}', Streams(probe))
    return app, recorder


async def _start(app: Any, probe: Probe, kind: str) -> tuple[asyncio.Task[None], Exchange]:
    exchange = Exchange(probe)
    scope = build_scope('GET', f'/streams/{kind}')
    task = asyncio.create_task(app(scope, exchange.receive, exchange.send))
    await asyncio.wait_for(probe.first_chunk.wait(), 5)
    return task, exchange


# A download is not signalled, so the shutdown knows it is unwinding only from Task.cancelling(),
# which Python 3.10 lacks (lanner.asgi._shutdown._cancelled): there it is not waited for.
_CANCELLING_NEEDED = pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason='Python 3.10 has no Task.cancelling(): a cancelled download is not waited for there',
)


@pytest.mark.parametrize(
    'kind', ['sse', 'event-stream', pytest.param('download', marks=_CANCELLING_NEEDED)]
)
async def test_a_cancelled_stream_unwinds_before_shutdown_completes(kind: str) -> None:
    probe = Probe()
    app, recorder = _app(probe)
    task, exchange = await _start(app, probe, kind)
    task.cancel()  # the server's graceful timeout ran out
    sent, cleaned_at_complete = await _shutdown(app, probe)
    assert sent[-1] == {'type': 'lifespan.shutdown.complete'}
    assert cleaned_at_complete, 'the stream was still unwinding when shutdown completed'
    assert recorder.saw_cleaned_up  # process_shutdown runs after the streams' clean-up
    assert task.cancelled()
    assert not exchange.ended_cleanly  # cut by the server: no proper end of body


@pytest.mark.parametrize('kind', ['sse', 'event-stream'])
async def test_an_event_stream_ends_cleanly_when_shutdown_begins(kind: str) -> None:
    probe = Probe()
    app, recorder = _app(probe)
    task, exchange = await _start(app, probe, kind)
    loop = asyncio.get_running_loop()
    began = loop.time()
    sent, cleaned_at_complete = await _shutdown(app, probe)
    assert loop.time() - began < 2.0  # signalled, not left to a timeout
    assert sent[-1] == {'type': 'lifespan.shutdown.complete'}
    assert cleaned_at_complete and recorder.saw_cleaned_up
    await asyncio.wait_for(task, 1)  # the request ended normally
    # The end of the body reached the server: an EventSource client reconnects at once.
    assert exchange.ended_cleanly
    starts = [m for m in exchange.messages if m['type'] == 'http.response.start']
    assert len(starts) == 1 and starts[0]['status'] == 200


async def test_a_download_is_left_to_the_server() -> None:
    """Only event streams are ended: a download ended early would look complete."""
    probe = Probe()
    app, _ = _app(probe)
    task, exchange = await _start(app, probe, 'download')
    sent, cleaned_at_complete = await _shutdown(app, probe)
    assert sent[-1] == {'type': 'lifespan.shutdown.complete'}
    assert not cleaned_at_complete and not task.done()
    assert not exchange.ended_cleanly
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert probe.cleaned_up


async def test_a_stream_started_after_shutdown_ends_at_once() -> None:
    probe = Probe()
    app, _ = _app(probe)
    await _shutdown(app, probe)
    exchange = Exchange(probe)
    await asyncio.wait_for(
        app(build_scope('GET', '/streams/sse'), exchange.receive, exchange.send), 2
    )
    assert exchange.ended_cleanly and probe.cleaned_up


@pytest.mark.parametrize('kind', ['sse', 'event-stream'])
async def test_begin_shutdown_ends_event_streams_before_the_lifespan_shutdown(kind: str) -> None:
    """``App.begin_shutdown()`` (``lanner serve`` calls it when uvicorn begins its shutdown)."""
    probe = Probe()
    app, recorder = _app(probe)
    task, exchange = await _start(app, probe, kind)
    app.begin_shutdown()
    await asyncio.wait_for(task, 2)  # ended without any lifespan event
    assert exchange.ended_cleanly and probe.cleaned_up
    assert not recorder.saw_cleaned_up  # process_shutdown has not run: only the streams ended
    app.begin_shutdown()  # a second call does nothing


async def test_begin_shutdown_leaves_downloads_to_the_server() -> None:
    probe = Probe()
    app, _ = _app(probe)
    task, exchange = await _start(app, probe, 'download')
    app.begin_shutdown()
    await asyncio.sleep(0.2)
    assert not task.done() and not exchange.ended_cleanly
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
