"""The general (slow-path) HTTP response sender of :class:`lanner.asgi.App`.

``App.__call__`` sends the common response itself (see its ``# PERF:`` fast path). Everything
else comes here through ``_send_response``: bodies that must be awaited, streams, SSE, HEAD,
bodiless statuses, apps with ``process_teardown`` middleware, and any failure on the fast path
(rendering and header computation are repeatable, so this path starts over). It is
:class:`ResponseSenderMixin`, a base of :class:`lanner.asgi.App`; it relies on the App's
``_handle_exception_async``, ``_log_exception``, ``_schedule_callbacks``, ``resp_options`` and
``_STREAM_BLOCK_SIZE``.

Invariants (see also :mod:`lanner.asgi.app`):
- A response is one ``http.response.start`` followed by one body event (``more_body`` absent), or
  by streamed chunks with ``more_body=True`` and a final empty event.
- An ``Exception`` raised while rendering goes to the error handlers. One raised while computing
  the status and headers (the response cannot be started) is reported unhandled and propagates
  before ``http.response.start``, as in Falcon: the server answers 500. After the start, a
  failing stream or SSE emitter propagates so the server aborts the connection.
- ``resp.stream`` and ``resp.sse`` are always closed, whatever happens.
- While a stream or SSE response is being sent, its task is registered in the App's
  ``_open_streams`` (:mod:`lanner.asgi._shutdown`), so the lifespan shutdown can end event
  streams cleanly and wait for every stream's clean-up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from inspect import isasyncgenfunction, isawaitable
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from lanner._wire.framing import BODILESS_CODES, NO_CONTENT_TYPE_CODES
from lanner.errors import UnsafeValueError

if TYPE_CHECKING:
    from lanner.asgi._shutdown import OpenStreams
    from lanner.response import ResponseOptions
    from lanner.typing import ASGIMessage, ASGIReceive, ASGISend

__all__ = ('BODILESS_CODES', 'NEEDS_AWAIT', 'ResponseSenderMixin')

_logger = logging.getLogger('lanner')


# Returned by Response._render_body_sync when the media handler must be awaited.
NEEDS_AWAIT: Any = object()


class ResponseSenderMixin:
    """``_send_response`` and its helpers (a base of ``lanner.asgi.App``)."""

    __slots__ = ()

    if TYPE_CHECKING:
        # Provided by lanner.asgi.App (and lanner.App).
        _STREAM_BLOCK_SIZE: ClassVar[int]
        _open_streams: OpenStreams
        resp_options: ResponseOptions

        async def _handle_exception_async(
            self, req: Any, resp: Any, ex: Exception, params: dict[str, Any], ws: Any = None
        ) -> bool: ...

        def _log_exception(self, req: Any, error: BaseException, what: str) -> None: ...

        def _report(
            self, req: Any, error: Exception, params: dict[str, Any], handled: bool
        ) -> None: ...

        def _schedule_callbacks(self, resp: Any) -> None: ...

    async def _send_response(
        self, req: Any, resp: Any, params: dict[str, Any], send: ASGISend, receive: ASGIReceive
    ) -> bool:
        """Render and send ``resp``; True when the whole response reached the server."""
        sse = resp.sse
        data: bytes | None = None
        stream: Any = None
        if sse is None:
            try:
                data = await resp.render_body()
            except Exception as ex:
                await self._close_stream_quietly(resp.stream)
                if not await self._handle_exception_async(req, resp, ex, params):
                    raise
                data = b''  # the error's status and headers, with an empty body (as Falcon)
            else:
                if data is None:
                    stream = resp.stream

        is_head = req.method == 'HEAD'
        default_type: str | None = self.resp_options.default_media_type
        # Left None only for an SSE response, which _send_sse starts itself.
        start: ASGIMessage | None = None
        try:
            status_code = resp.status_code
            headers = resp._headers
            if is_head or status_code in BODILESS_CODES:
                was_sse = sse is not None
                if was_sse:
                    from lanner._sse import asgi_pump

                    await asgi_pump.discard(resp)
                    sse = None
                if status_code in NO_CONTENT_TYPE_CODES:
                    default_type = None
                elif is_head and not was_sse and 'content-length' not in headers:
                    if data is not None:
                        headers['content-length'] = str(len(data))
                    elif stream is None:
                        headers['content-length'] = '0'
                await self._close_stream(stream)
                stream = None
                data = b''
            elif sse is not None:
                # Streamed below, outside this try: once _send_sse has started the response, a
                # failure must reach the server, never lead to a second http.response.start.
                if not hasattr(sse, '__aiter__'):
                    # As for resp.stream (and in Falcon), an emitter that cannot be iterated
                    # is a TypeError that reaches the server; this one says what to do.
                    from lanner._sse.asgi_pump import check_async_emitter

                    check_async_emitter(sse)
            elif data is not None:
                headers['content-length'] = str(len(data))
            elif stream is None:
                headers['content-length'] = '0'
                data = b''
            if stream is not None:
                _check_stream(stream)
            if sse is None:
                start = {
                    'type': 'http.response.start',
                    'status': status_code,
                    'headers': resp._asgi_headers(default_type),
                }
        except Exception as ex:
            await self._close_stream_quietly(stream)
            await self._close_stream_quietly(sse)
            self._report(req, ex, params, False)
            raise

        if start is None:
            streams = self._open_streams
            task = streams.add(True)
            try:
                return await self._send_sse(req, resp, params, send, receive, default_type)
            finally:
                streams.discard(task)
        await send(start)
        if stream is None:
            await send({'type': 'http.response.body', 'body': data})
            if resp._registered_callbacks:
                self._schedule_callbacks(resp)
            return True
        streams = self._open_streams
        event_stream = _is_event_stream(resp, stream)
        task = streams.add(event_stream)
        try:
            if not await self._send_stream_body(req, resp, stream, send, receive, event_stream):
                return False
        finally:
            streams.discard(task)
        if resp._registered_callbacks:
            self._schedule_callbacks(resp)
        return True

    async def _send_stream_body(
        self,
        req: Any,
        resp: Any,
        stream: Any,
        send: ASGISend,
        receive: ASGIReceive,
        event_stream: bool,
    ) -> bool:
        """Send ``resp.stream`` after the start event; False when the client left first."""
        if event_stream or _body_received(req):
            # Watched for http.disconnect: servers silently drop sends to a closed connection,
            # so an abandoned download (or resp.stream yielding serialized SSE
            # events) would keep running into the void, and an endless one forever. The
            # watcher consumes receive(), so it only runs once the request body is all in
            # (event streams always: an event emitter does not read the body).
            from lanner._sse import asgi_pump

            # Only an event stream may be ended early at shutdown: a download cut short with a
            # proper end of body would look complete to the client.
            stop = self._open_streams.stop_signal() if event_stream else None
            try:
                # Sends the final empty body event itself when the stream completes.
                return await asgi_pump.pump_stream(
                    _stream_chunks(stream, self._STREAM_BLOCK_SIZE), send, receive, stop
                )
            finally:
                await self._close_stream(stream)
        try:
            await self._send_stream(stream, send)
        finally:
            await self._close_stream(stream)
        await send({'type': 'http.response.body', 'body': b''})
        return True

    async def _send_sse(
        self,
        req: Any,
        resp: Any,
        params: dict[str, Any],
        send: ASGISend,
        receive: ASGIReceive,
        default_type: str | None,
    ) -> bool:
        from lanner._sse import asgi_pump

        started = False

        async def tracked_send(message: ASGIMessage) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            # False when the client left before the stream ended.
            result = await asgi_pump.respond(
                self,
                req,
                resp,
                tracked_send,
                receive,
                default_type,
                self._open_streams.stop_signal(),
            )
        except Exception as ex:
            if started:
                if isinstance(ex, UnsafeValueError):
                    # An event field refused mid-stream (say, a CR/LF in an event id taken from
                    # the request): nothing unsafe went out and the emitter is closed. An event
                    # stream has no length that could pass a cut body off as complete, so it is
                    # ended cleanly and the refusal logged, as the 400 would have been.
                    _logger.warning(
                        'Refused an unsafe value; the event stream was ended (%s %s): %.300s',
                        req.method,
                        req.path,
                        ex,
                    )
                    await send({'type': 'http.response.body', 'body': b'', 'more_body': False})
                    return False
                raise  # mid-stream: let the server abort the connection
            # Nothing was sent (e.g. resp.sse is not an async iterator): answer with the error.
            aclose = getattr(resp.sse, 'aclose', None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:
                    pass
            if not await self._handle_exception_async(req, resp, ex, params):
                raise
            resp._headers['content-length'] = '0'
            try:
                start: ASGIMessage = {
                    'type': 'http.response.start',
                    'status': resp.status_code,
                    'headers': resp._asgi_headers(self.resp_options.default_media_type),
                }
            except Exception as failure:
                self._report(req, failure, params, False)
                raise
            await send(start)
            await send({'type': 'http.response.body', 'body': b''})
            return True
        return result is not False

    async def _send_stream(self, stream: Any, send: ASGISend) -> None:
        read = getattr(stream, 'read', None)
        if read is not None:
            block = self._STREAM_BLOCK_SIZE
            while True:
                chunk = read(block)
                if isawaitable(chunk):
                    chunk = await chunk
                if not chunk:
                    return
                await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
        if hasattr(stream, '__aiter__'):
            async for chunk in stream:
                if chunk is None:
                    return
                if chunk:
                    await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
            return
        for chunk in stream:
            if chunk is None:
                return
            if chunk:
                await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})

    @staticmethod
    async def _close_stream(stream: Any) -> None:
        if stream is None:
            return
        close = getattr(stream, 'aclose', None) or getattr(stream, 'close', None)
        if callable(close):  # some file-likes have a non-callable "close" attribute
            result = close()
            if isawaitable(result):
                await result

    async def _close_stream_quietly(self, stream: Any) -> None:
        try:
            await self._close_stream(stream)
        except Exception:
            pass  # best effort: the stream is discarded after another failure


def _check_stream(stream: Any) -> None:
    """Refuse a ``resp.stream`` that cannot be iterated, before the response starts.

    Checked here rather than when assigned, as in Falcon (whose TypeError comes out of the App
    while the body is sent): the exception is reported unhandled and reaches the server.
    """
    if isasyncgenfunction(stream):
        raise TypeError(
            'The object assigned to Response.stream is an async generator function; assign the '
            'generator object it returns instead, e.g. resp.stream = emitter() rather than '
            'resp.stream = emitter.'
        )
    if not (hasattr(stream, 'read') or hasattr(stream, '__aiter__') or hasattr(stream, '__iter__')):
        raise TypeError(
            'Response.stream must be an async iterable of bytes (a generator or an object with '
            'an __aiter__ method), an object with a read(size) method, or an iterable of bytes; '
            f'got {type(stream).__name__}.'
        )


def _body_received(req: Any) -> bool:
    """True when the whole request body has arrived, so ``receive()`` is free to be watched.

    Either the App's first ``http.request`` event was the last one (the body stream was never
    opened), or the body stream has taken its last event. A request type without lanner's body
    stream (or a ``req.stream`` the app replaced) counts as not received.
    """
    stream = getattr(req, '_stream', None)
    if stream is None:
        first_event = getattr(req, '_first_event', None)
        return first_event is not None and not first_event.get('more_body', False)
    return getattr(stream, '_more', True) is False


async def _stream_chunks(stream: Any, block_size: int) -> AsyncIterator[bytes]:
    """``resp.stream`` as an async iterator of non-empty chunks, whatever its kind.

    A file-like object is read in ``block_size`` blocks (``read()`` may be a coroutine); async
    and sync iterables are iterated; a None chunk ends the stream, as in ``App._send_stream``.
    Closing the stream is left to the caller.
    """
    read = getattr(stream, 'read', None)
    if read is not None:
        while True:
            chunk = read(block_size)
            if isawaitable(chunk):
                chunk = await chunk
            if not chunk:
                return
            yield chunk
    elif hasattr(stream, '__aiter__'):
        async for chunk in stream:
            if chunk is None:
                return
            if chunk:
                yield chunk
    else:
        for chunk in stream:
            if chunk is None:
                return
            if chunk:
                yield chunk


def _is_event_stream(resp: Any, stream: Any) -> bool:
    content_type = resp._headers.get('content-type')
    return (
        content_type is not None
        and content_type.startswith('text/event-stream')
        and hasattr(stream, '__aiter__')
        and not hasattr(stream, 'read')
    )
