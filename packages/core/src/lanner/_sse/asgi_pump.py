"""Streaming ``resp.sse`` on ASGI: headers, keep-alive pings and prompt disconnect handling.

Call contract for the App (``lanner.asgi.App``), after the response middleware ran:

* HEAD (and bodiless statuses): do not iterate the emitter. ``await discard(resp)`` applies the
  SSE default headers and closes the emitter; then send ``http.response.start`` and the empty
  body event as for any bodiless response.
* Otherwise ``await respond(app, req, resp, send, receive, default_type)``. It validates the
  emitter and ``resp_options.sse_keepalive_interval`` (``TypeError``/``ValueError`` with a hint;
  nothing has been sent yet, so the App may turn it into an error response), applies the SSE
  default headers to ``resp._headers`` (content type ``text/event-stream`` unless set,
  ``cache-control: no-cache`` and ``x-accel-buffering: no`` unless set, never
  ``content-length``), sends ``http.response.start`` with ``resp._asgi_headers(default_type)``,
  runs ``app._schedule_callbacks(resp)`` right after it (before the first event), and then
  streams as :func:`pump` does.
* :func:`pump` (and so ``respond``) returns once the stream is over and the emitter is closed:
  True if it completed, False if the client left first. It raises what the emitter raised (after
  the response started: the server aborts the connection) and propagates ``CancelledError``
  (server shutdown) after closing the emitter.
* Optional, for ``resp.stream``: :func:`pump_stream` gives a plain async byte stream the same
  disconnect handling (see its docstring for when that is safe).
* ``stop`` (optional, for both): a future the App completes when its lifespan shutdown begins
  (:mod:`lanner.asgi._shutdown`). The stream then ends cleanly: the emitter is closed and the
  final empty body event is sent, so an EventSource client sees the end of the stream and
  reconnects (elsewhere) with ``Last-Event-ID`` at once. Only ever pass it for event streams: a
  download ended that way would look complete to the client.

The pump runs three tasks next to the caller:

* the *producer* iterates the emitter, serializes each item (``None`` -> ``: ping``; anything else
  through ``serialize(json_handler)``) and sends it as one ``http.response.body`` chunk with
  ``more_body=True``. It alone touches the emitter, so contextvars and cancel scopes inside the
  generator behave as in any single task;
* the *watcher* awaits ``receive()`` until ``http.disconnect`` (request body chunks the app did
  not read are discarded). An emitter must therefore not read ``req.stream`` itself;
* the *ticker* (when ``keepalive_interval`` is not None) sends ``: ping`` whenever nothing was
  sent for that many seconds, so proxies keep the connection open and a dead peer is noticed.

Invariants: sends never interleave (one lock); when the client disconnects, the pump is
cancelled or stopped, the producer is cancelled wherever it is waiting and the emitter is closed
(``aclose()``, so its ``finally`` blocks run) before the pump returns; no task outlives the pump.
Unlike Falcon, which notices a disconnect only after the emitter yields its next event, an idle
emitter is stopped as soon as the server reports the disconnect.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import inspect
from typing import TYPE_CHECKING, Any

from lanner._sse.render import (
    DEFAULT_KEEPALIVE_INTERVAL,
    PING,
    apply_sse_headers,
    check_keepalive_interval,
    json_handler_for,
    render_event,
)

if TYPE_CHECKING:
    from lanner.asgi._response_sender import ResponseSenderMixin
    from lanner.asgi.request import Request
    from lanner.asgi.response import Response
    from lanner.typing import ASGIReceive, ASGISend, SSEEmitter

__all__ = ('check_async_emitter', 'discard', 'pump', 'pump_stream', 'respond')

_PING_MESSAGE = {'type': 'http.response.body', 'body': PING, 'more_body': True}
_FINAL_MESSAGE = {'type': 'http.response.body', 'body': b'', 'more_body': False}


def check_async_emitter(emitter: object) -> SSEEmitter:
    """Return the async iterator behind ``resp.sse``, or raise ``TypeError`` saying what to do."""
    if inspect.isasyncgenfunction(emitter) or inspect.iscoroutinefunction(emitter):
        name = getattr(emitter, '__qualname__', None) or repr(emitter)
        raise TypeError(
            f'resp.sse was set to the function {name} itself; call it so that resp.sse gets '
            f'the async generator: resp.sse = {name}()'
        )
    if inspect.iscoroutine(emitter):
        emitter.close()  # never awaited; closing avoids a RuntimeWarning on top of this error
        raise TypeError(
            'resp.sse got a coroutine; it needs an async iterator. Write the emitter as an async '
            'generator (an "async def" that yields events) and assign its result.'
        )
    aiter = getattr(emitter, '__aiter__', None)
    if aiter is None:
        if hasattr(emitter, '__iter__'):
            raise TypeError(
                f'resp.sse on lanner.asgi.App needs an async iterator, got a synchronous '
                f'{type(emitter).__name__}. Write the emitter as "async def ...: yield event".'
            )
        raise TypeError(
            f'resp.sse must be an async iterator of events (e.g. an async generator), not '
            f'{type(emitter).__name__}.'
        )
    iterator = aiter()
    if not hasattr(iterator, '__anext__'):
        raise TypeError(
            f'{type(emitter).__name__}.__aiter__() returned {type(iterator).__name__}, which '
            f'has no __anext__; resp.sse needs an async iterator.'
        )
    return iterator  # type: ignore[no-any-return]


async def discard(resp: Response) -> None:
    """For HEAD: give ``resp`` the SSE headers and close its emitter without iterating it."""
    apply_sse_headers(resp._headers)
    aclose = getattr(resp.sse, 'aclose', None)
    if aclose is not None:
        await aclose()


async def respond(
    app: ResponseSenderMixin,
    req: Request,
    resp: Response,
    send: ASGISend,
    receive: ASGIReceive,
    default_type: str | None,
    stop: asyncio.Future[None] | None = None,
) -> bool:
    """Send the whole SSE response for ``resp.sse`` (see the module docstring).

    Returns:
        What :func:`pump` returns: True if the stream completed, False if the client left.
    """
    # Everything that can fail on bad configuration happens before anything is sent.
    iterator = check_async_emitter(resp.sse)
    options = app.resp_options
    interval = check_keepalive_interval(
        getattr(options, 'sse_keepalive_interval', DEFAULT_KEEPALIVE_INTERVAL)
    )
    json_handler = json_handler_for(options)
    apply_sse_headers(resp._headers)
    await send(
        {
            'type': 'http.response.start',
            'status': resp.status_code,
            'headers': resp._asgi_headers(default_type),
        }
    )
    app._schedule_callbacks(resp)
    return await _run(iterator, send, receive, render_event, json_handler, interval, stop)


class _State:
    __slots__ = ('last_sent', 'send_error', 'stopping')

    def __init__(self, now: float) -> None:
        self.last_sent = now
        self.stopping = False
        self.send_error: Exception | None = None


async def pump(
    emitter: AsyncIterator[Any],
    send: ASGISend,
    receive: ASGIReceive,
    json_handler: Any = None,
    keepalive_interval: float | None = DEFAULT_KEEPALIVE_INTERVAL,
) -> bool:
    """Stream an emitter's events after ``http.response.start`` was sent.

    Args:
        emitter: Async iterator of events (objects with ``serialize(handler)``) or None.
        send: The ASGI ``send`` callable.
        receive: The ASGI ``receive`` callable (watched for ``http.disconnect``).
        json_handler: Passed to each event's ``serialize``; None means the default JSON.
        keepalive_interval: Seconds of silence before a ``: ping`` comment; None disables.

    Returns:
        True if the emitter finished and the response was completed, False if the client
        disconnected first (nothing more is sent then).

    Raises:
        Exception: Whatever the emitter, an event's ``serialize`` or ``send`` raised, unless the
            client had already disconnected.
        asyncio.CancelledError: The pump was cancelled; the emitter has been closed.
    """
    interval = check_keepalive_interval(keepalive_interval)
    return await _run(emitter, send, receive, render_event, json_handler, interval)


async def pump_stream(
    stream: AsyncIterator[Any],
    send: ASGISend,
    receive: ASGIReceive,
    stop: asyncio.Future[None] | None = None,
) -> bool:
    """Stream a plain async iterator of ``bytes`` with :func:`pump`'s disconnect handling.

    For a ``resp.stream`` that is really an event stream (Content-Type ``text/event-stream``, as
    in the ``yield event.serialize().encode()`` idiom): without this, an
    idle or endless generator keeps running after the client left, because ASGI servers
    silently drop sends to a closed connection. Empty chunks are skipped; no keep-alive is
    sent (the stream's format is the application's). Not for streams that read the request
    body themselves (``resp.stream = req.stream``): the disconnect watcher consumes
    ``receive()``.

    Returns and raises as :func:`pump`; ``stop`` as in the module docstring (event streams only).
    """
    return await _run(stream, send, receive, _raw_chunk, None, None, stop)


def _raw_chunk(item: Any, handler: Any) -> bytes:
    return item  # type: ignore[no-any-return]


async def _run(
    emitter: AsyncIterator[Any],
    send: ASGISend,
    receive: ASGIReceive,
    render: Callable[[Any, Any], bytes],
    json_handler: Any,
    interval: float | None,
    stop: asyncio.Future[None] | None = None,
) -> bool:
    loop = asyncio.get_running_loop()
    state = _State(loop.time())
    lock = asyncio.Lock()

    producer = loop.create_task(_produce(emitter, send, render, json_handler, lock, state))
    watcher = loop.create_task(_watch_disconnect(receive))
    ticker = None
    if interval is not None:
        ticker = loop.create_task(_keep_alive(send, lock, state, interval))
    tasks = [t for t in (producer, watcher, ticker) if t is not None]

    disconnected = False
    try:
        pending: set[asyncio.Future[Any]] = set(tasks)
        if stop is not None:
            # A plain future, shared by every stream of the App: waited on, never cancelled.
            pending.add(stop)
        while True:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if watcher in done and watcher.result():
                disconnected = True
                break
            if producer in done or ticker in done or stop in done:
                break
            # The watcher gave up (receive() cannot report disconnects): keep streaming.
    finally:
        # Reached on completion, disconnect, failure and cancellation of this task alike.
        state.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks)

    failure = _failure_of(producer)
    if disconnected:
        # An error from sending into the closed connection is expected; anything else (say, the
        # emitter's finally block raising) is a bug worth reporting.
        if failure is not None and failure is not state.send_error:
            raise failure
        if ticker is not None:
            _failure_of(ticker)  # a failed ping into the closed connection: expected too
        return False
    if failure is None and ticker is not None:
        failure = _failure_of(ticker)
    if failure is not None:
        raise failure
    await send(_FINAL_MESSAGE)
    return True


def _failure_of(task: asyncio.Task[Any]) -> BaseException | None:
    # Reading the exception also marks it retrieved (no "never retrieved" warning).
    if task.cancelled():
        return None
    return task.exception()


async def _produce(
    emitter: AsyncIterator[Any],
    send: ASGISend,
    render: Callable[[Any, Any], bytes],
    handler: Any,
    lock: asyncio.Lock,
    state: _State,
) -> None:
    loop = asyncio.get_running_loop()
    anext_ = emitter.__anext__
    try:
        while True:
            try:
                item = await anext_()
            except StopAsyncIteration:
                return
            if state.stopping:  # the emitter swallowed our cancellation and yielded again
                return
            chunk = render(item, handler)
            if not chunk:
                continue
            async with lock:
                try:
                    await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
                except Exception as exc:
                    state.send_error = exc
                    raise
            state.last_sent = loop.time()
            # Give the watcher its turn: servers return at once from a send into a closed
            # connection, so a source that never waits (a sync iterable, a file, an async
            # generator awaiting nothing) would otherwise hold the event loop for good and the
            # disconnect would never be seen. PERF: one event-loop pass, about 4 us per chunk.
            await asyncio.sleep(0)
    finally:
        aclose = getattr(emitter, 'aclose', None)
        if aclose is not None:
            await aclose()


async def _watch_disconnect(receive: ASGIReceive) -> bool:
    """True once the client is gone; False if ``receive()`` cannot tell."""
    body_complete = False
    while True:
        try:
            message = await receive()
        except Exception:
            # Some servers raise from receive() once the connection is gone.
            return True
        kind = message.get('type')
        if kind == 'http.disconnect':
            return True
        if kind == 'http.request' and not body_complete:
            body_complete = not message.get('more_body', False)
            continue
        # A conforming server blocks in receive() after the body until the client leaves; a
        # receive() that keeps answering (some test doubles) cannot signal disconnects, and
        # polling it would spin.
        return False


async def _keep_alive(send: ASGISend, lock: asyncio.Lock, state: _State, interval: float) -> None:
    loop = asyncio.get_running_loop()
    while True:
        delay = state.last_sent + interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
            continue
        async with lock:
            await send(_PING_MESSAGE)
        state.last_sent = loop.time()
