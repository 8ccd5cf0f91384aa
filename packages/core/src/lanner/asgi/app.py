"""The ASGI application (``lanner.asgi.App``): HTTP, WebSocket and lifespan scopes.

Shares registration, routing and error handling with the WSGI :class:`lanner.App`; only the
request loop, the lifespan protocol and the flavour checks (everything must be ``async``) differ.

Invariants:
- The app awaits exactly one ``receive()`` before handling an HTTP request; a first
  ``http.disconnect`` ends the call without sending anything.
- A response is one ``http.response.start`` followed by one body event (``more_body`` absent), or
  by streamed chunks with ``more_body=True`` and a final empty event.
- No ``Exception`` raised by app code escapes to the server before ``http.response.start`` was
  sent (see :mod:`lanner.app`); after it, a failing stream or SSE emitter propagates so that the
  server aborts the connection instead of presenting a truncated body as complete.
- ``resp.schedule`` callbacks start only after the final body event was sent (for SSE: right
  after the start event) and never when the response failed; ``process_teardown`` middleware
  always runs, last.
- WebSocket connections are created by lanner-websocket through a factory resolved once, on the
  first WebSocket route or scope; core only needs ``close()`` from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import functools
from inspect import isawaitable
import logging
import traceback
from typing import TYPE_CHECKING, Any, ClassVar

from lanner import constants, responders
from lanner.app import App as _WSGIApp
from lanner.app import _framing_conflict, _unsafe_value_refused
from lanner.app_helpers import (
    is_coroutine_callable,
    prepare_lifespan,
    prepare_middleware_ws,
    wrap_non_coroutines,
)
from lanner.asgi.request import Request
from lanner.asgi.response import _NEEDS_AWAIT, Response
from lanner.asgi.ws_options import WebSocketOptions
from lanner.errors import (
    CompatibilityError,
    HTTPBadRequest,
    HTTPInternalServerError,
    HTTPVersionNotSupported,
    UnsafeValueError,
    UnsupportedError,
    UnsupportedScopeError,
    WebSocketDisconnected,
)
from lanner.http_error import HTTPError
from lanner.http_status import HTTPStatus

if TYPE_CHECKING:
    from lanner.typing import ASGIMessage, ASGIReceive, ASGISend, ErrorHandler, Scope

__all__ = ('App',)

_logger = logging.getLogger('lanner')

_BODILESS_CODES = frozenset((100, 101, 204, 304))
_NO_CONTENT_TYPE_CODES = frozenset((204, 304))
# Body events are built per response (never shared): ASGI middleware may mutate messages in place.
_HTTP_VERSIONS = frozenset(('1.0', '1.1', '2', '3'))
# HTTP scope spec versions accepted without further checks (None: the key is absent, i.e. 2.0).
_KNOWN_HTTP_SPEC_VERSIONS = frozenset((None, '2.0', '2.1', '2.2', '2.3', '2.4', '2.5'))
_WS_HTTP_VERSIONS = frozenset(('1.1', '2', '3'))

# Strong references to scheduled callback tasks: the event loop itself only keeps weak ones.
_background_tasks: set[asyncio.Future[Any]] = set()


def _log_callback_failure(future: asyncio.Future[Any]) -> None:
    _background_tasks.discard(future)
    if future.cancelled():
        return
    error = future.exception()
    if error is not None:
        _logger.error('A callback scheduled with resp.schedule() failed', exc_info=error)


class App(_WSGIApp):
    """An ASGI 3 application: same constructor and registration API as :class:`lanner.App`.

    Responders, middleware methods, hooks' actions, sinks and error handlers must be coroutine
    functions. ``ws_options`` configures WebSocket connections.
    """

    _ASGI: ClassVar[bool] = True
    _default_request_type: ClassVar[type[Any]] = Request
    _default_response_type: ClassVar[type[Any]] = Response
    _default_responder_bad_request: ClassVar[Callable[..., Any]] = staticmethod(
        responders.bad_request_async
    )
    _default_responder_path_not_found: ClassVar[Callable[..., Any]] = staticmethod(
        responders.path_not_found_async
    )

    __slots__ = (
        '_fast_send',
        '_middleware_ws',
        '_shutdown_mw',
        '_startup_mw',
        '_ws_factory',
        '_ws_handlers',
        'ws_options',
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.ws_options = WebSocketOptions()
        self._ws_factory: Callable[..., Any] | None = None
        # Error handlers that declare a ``ws`` parameter (decided once, at registration), keyed
        # by identity: the registry hands back the very object that was registered.
        self._ws_handlers: dict[int, Any] = {}
        super().__init__(*args, **kwargs)

    def _set_middleware(self, components: list[object]) -> None:
        middleware_ws = prepare_middleware_ws(components)
        startup, shutdown = prepare_lifespan(components)
        super()._set_middleware(components)
        # Decided when middleware changes: the inlined send path in __call__ needs the stock
        # body rendering (a response class overriding render_body is always awaited) and no
        # process_teardown. _response_type is set before the first call.
        self._fast_send = (
            self._response_type.render_body is Response.render_body and not self._teardown_mw
        )
        self._middleware_ws: tuple[tuple[Callable[..., Any], ...], tuple[Callable[..., Any], ...]]
        self._middleware_ws = middleware_ws
        self._startup_mw: tuple[Callable[..., Any], ...] = startup
        self._shutdown_mw: tuple[Callable[..., Any], ...] = shutdown

    def _install_default_error_handlers(self) -> None:
        super()._install_default_error_handlers()
        self.add_error_handler(WebSocketDisconnected, self._ws_disconnected_error_handler)

    def _request_factory(self) -> Callable[..., Any]:
        """``(scope, receive, first_event, options) -> request`` (keywords for a custom
        ``__init__``)."""
        cls = self._request_type
        if cls.__init__ is Request.__init__:
            return cls
        return lambda scope, receive, first_event, options: cls(
            scope, receive, first_event=first_event, options=options
        )

    # ------------------------------------------------------------------ flavour checks

    def _route_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, '_asgi': True}

    def _check_resource(self, resource: object, kwargs: dict[str, Any]) -> None:
        super()._check_resource(resource, kwargs)
        if getattr(resource, 'on_websocket', None) is not None:
            # Fail at registration, not on the first connection, when the member is missing.
            self._resolve_ws_factory()

    def _check_sink(self, sink: Callable[..., Any]) -> Callable[..., Any]:
        if is_coroutine_callable(sink):
            return sink
        if wrap_non_coroutines():
            from lanner.util.sync import wrap_sync_to_async

            return functools.wraps(sink)(wrap_sync_to_async(sink))
        raise CompatibilityError(
            f'The sink {sink!r} is synchronous, but lanner.asgi.App awaits sinks: define it with '
            '"async def" (use lanner.util.sync.sync_to_async inside it for blocking work).'
        )

    def _wrap_error_handler(self, handler: ErrorHandler) -> ErrorHandler:
        if not is_coroutine_callable(handler):
            if not wrap_non_coroutines():
                raise CompatibilityError(
                    f'The error handler {handler!r} is synchronous, but lanner.asgi.App awaits '
                    'error handlers: define it with "async def" (signature '
                    'async def handler(req, resp, ex, params, ws=None)).'
                )
            from lanner.util.sync import wrap_sync_to_async_unsafe

            handler = functools.wraps(handler)(wrap_sync_to_async_unsafe(handler))
        if _accepts_ws(handler):
            self._ws_handlers[id(handler)] = handler
        return handler

    def _resolve_ws_factory(self) -> Callable[..., Any]:
        if self._ws_factory is None:
            from lanner._members import import_member

            websocket = import_member('websocket', 'WebSocket support (on_websocket)')
            self._ws_factory = websocket.WebSocket
        return self._ws_factory

    # ------------------------------------------------------------------ errors

    async def _handle_exception(  # type: ignore[override]
        self, req: Any, resp: Any, ex: Exception, params: dict[str, Any], ws: Any = None
    ) -> bool:
        handler = self._find_error_handler(ex)
        if handler is None:
            return False
        if resp is not None:
            resp.text = None
            resp.data = None
            resp.media = None
        try:
            if ws is not None and id(handler) in self._ws_handlers:
                await handler(req, resp, ex, params, ws=ws)
            else:
                await handler(req, resp, ex, params)
        except (HTTPStatus, HTTPError) as raised:
            if resp is not None:
                self._compose_guarded(req, resp, raised)
            else:
                await self._close_ws(ws, 3000 + raised.status_code)
        except Exception as failure:
            if resp is not None:
                self._handler_failed(req, resp, failure)
            else:
                self._log_exception(req, failure, 'A WebSocket error handler failed')
                await self._close_ws(ws, self.ws_options.error_close_code)
        return True

    def _log_exception(self, req: Any, error: BaseException, what: str) -> None:
        _logger.error('%s (%s %s)', what, req.method, req.path, exc_info=error)

    @staticmethod
    async def _close_ws(ws: Any, code: int) -> None:
        if ws is not None and not ws.closed:
            await ws.close(code)

    async def _http_status_handler(  # type: ignore[override]
        self, req: Any, resp: Any, status: HTTPStatus, params: Any, ws: Any = None
    ) -> None:
        if resp is not None:
            self._compose_status_response(req, resp, status)
        else:
            await self._close_ws(ws, 3000 + status.status_code)

    async def _http_error_handler(  # type: ignore[override]
        self, req: Any, resp: Any, error: HTTPError, params: Any, ws: Any = None
    ) -> None:
        if resp is not None:
            self._compose_error_response(req, resp, error)
        else:
            _logger.error('WebSocket handshake or handler failed with %s', error)
            await self._close_ws(ws, 3000 + error.status_code)

    async def _python_error_handler(  # type: ignore[override]
        self, req: Any, resp: Any, error: Exception, params: Any, ws: Any = None
    ) -> None:
        _logger.error(
            'Unhandled exception in ASGI app (%s %s)', req.method, req.path, exc_info=error
        )
        if resp is not None:
            self._compose_error_response(req, resp, HTTPInternalServerError())
        else:
            await self._close_ws(ws, self.ws_options.error_close_code)

    async def _unsafe_value_handler(  # type: ignore[override]
        self, req: Any, resp: Any, error: UnsafeValueError, params: Any, ws: Any = None
    ) -> None:
        refusal = _unsafe_value_refused(req, error)
        if resp is not None:
            self._compose_error_response(req, resp, refusal)
        else:
            await self._close_ws(ws, 3000 + refusal.status_code)

    async def _ws_disconnected_error_handler(
        self, req: Any, resp: Any, error: WebSocketDisconnected, params: Any, ws: Any = None
    ) -> None:
        _logger.debug('WebSocket client disconnected (code %s): %s', error.code, req.path)
        if resp is not None:
            # Only reachable if app code raised it during a plain HTTP request.
            self._compose_error_response(req, resp, HTTPInternalServerError())

    # ------------------------------------------------------------------ entry point

    async def __call__(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:  # type: ignore[override]
        scope_type = scope.get('type')
        if scope_type != 'http':
            await self._handle_other_scope(scope_type, scope, receive, send)
            return
        asgi_info = scope.get('asgi')
        if asgi_info is None:
            asgi_info = scope['asgi'] = {'version': '2.0'}
        spec_version = asgi_info.get('spec_version')
        # PERF: the versions servers announce today are one set lookup.
        if spec_version not in _KNOWN_HTTP_SPEC_VERSIONS:
            spec_version = spec_version or '2.0'
            if not spec_version.startswith('2.'):
                raise UnsupportedScopeError(
                    f'The ASGI http scope spec version {spec_version!r} is not supported (2.x is).'
                )
        http_version = scope.get('http_version', '1.1')
        if http_version not in _HTTP_VERSIONS:
            # The client gets a clean 505 rather than the server's 500 for the exception, which
            # is still raised (Falcon's contract) so that the server logs it.
            await _send_version_not_supported(send)
            raise UnsupportedError(
                f'HTTP version {http_version!r} is not supported; expected one of 1.0, 1.1, 2 or 3.'
            )

        # PERF: the HTTP request loop is written out here rather than in a helper coroutine:
        # every coroutine layer costs a frame and an await per request.
        first_event = await receive()
        if first_event['type'] == 'http.disconnect':
            return
        req = self._new_request(scope, receive, first_event, self.req_options)
        resp = self._new_response(self.resp_options)
        resource: object | None = None
        params: dict[str, Any] = {}
        request_mw, resource_mw, response_mw = self._middleware_stacks
        # PERF: the list is only made when a dependent stack actually queues something.
        dependent: list[Callable[..., Any]] | None = None
        req_succeeded = False

        try:
            if req.method in self._META_METHODS:
                raise HTTPBadRequest()
            # Request smuggling defence (RFC 9112 6.1): both framings at once is an error.
            # PERF: ASGI hands the headers over as a list, so this cannot be one lookup as on
            # WSGI: it is a scan of the raw names (about 30 ns per header, 0.2 us for six; a
            # C-level `in map(itemgetter(0), ...)` is no faster); the Content-Length half only
            # runs for the rare request that has a Transfer-Encoding.
            raw_headers = scope.get('headers')
            if type(raw_headers) is list:
                for raw_name, _ in raw_headers:
                    if raw_name == b'transfer-encoding':
                        _check_framing(req)
                        break
            elif raw_headers:
                _check_framing(req)
            for process_request, process_response in request_mw:
                if process_request is not None and not resp.complete:
                    await process_request(req, resp)
                if process_response is not None:
                    if dependent is None:
                        dependent = []
                    dependent.append(process_response)
            if not resp.complete:
                # PERF: a matched route is unpacked here (see lanner.App.__call__).
                route = self._router_search(req.path, req=req)
                if route is not None and len(route) == 4 and route[0] is not None:
                    resource, method_map, params, req.uri_template = route
                    try:
                        responder = method_map[req.method]
                    except KeyError:
                        responder = self._default_responder_bad_request
                else:
                    responder, params, resource, req.uri_template = self._responder_for(req, route)
        except Exception as ex:
            if not await self._handle_exception(req, resp, ex, params):
                raise
        else:
            try:
                if resource is not None:
                    for process_resource in resource_mw:
                        await process_resource(req, resp, resource, params)
                        if resp.complete:
                            break
                if not resp.complete:
                    # PERF: a plain call when the route has no fields (no ** unpacking).
                    if params:
                        await responder(req, resp, **params)
                    else:
                        await responder(req, resp)
                req_succeeded = True
            except Exception as ex:
                if not await self._handle_exception(req, resp, ex, params):
                    raise

        for process_response in response_mw or (reversed(dependent) if dependent else ()):
            try:
                await process_response(req, resp, resource, req_succeeded)
            except Exception as ex:
                if not await self._handle_exception(req, resp, ex, params):
                    raise
                req_succeeded = False

        # PERF: the common response (a body rendered without awaiting, no SSE, no teardown
        # middleware, neither HEAD nor a bodiless status) is sent right here. Anything else, and
        # any failure on the way, goes through _send_response, which starts over and owns the
        # error handling (rendering and header computation are repeatable).
        if self._fast_send and resp._sse is None and req.method != 'HEAD':
            try:
                data = resp._render_body_sync()
                if data is None or data is _NEEDS_AWAIT:
                    start = None
                else:
                    status_code = resp.status_code
                    if status_code in _BODILESS_CODES:
                        start = None
                    else:
                        resp._headers['content-length'] = str(len(data))
                        start = {
                            'type': 'http.response.start',
                            'status': status_code,
                            'headers': resp._asgi_headers(self.resp_options.default_media_type),
                        }
            except Exception:
                start = None
            if start is not None:
                await send(start)
                await send({'type': 'http.response.body', 'body': data})
                if resp._registered_callbacks:
                    self._schedule_callbacks(resp)
                return

        if not self._teardown_mw:
            await self._send_response(req, resp, params, send, receive)
            return
        completed = False
        try:
            completed = await self._send_response(req, resp, params, send, receive)
        finally:
            await self._run_teardown_async(req, resp, resource, completed)

    async def _handle_other_scope(
        self, scope_type: Any, scope: Scope, receive: ASGIReceive, send: ASGISend
    ) -> None:
        asgi_info = scope.get('asgi')
        if asgi_info is None:
            asgi_info = scope['asgi'] = {'version': '2.0'}
        if scope_type == 'websocket':
            spec_version = asgi_info.get('spec_version') or '2.0'
            if not spec_version.startswith('2.'):
                raise UnsupportedScopeError(
                    f'The ASGI websocket scope spec version {spec_version!r} is not supported '
                    '(2.x is).'
                )
            http_version = scope.get('http_version', '1.1')
            if http_version not in _WS_HTTP_VERSIONS:
                # Deny the handshake cleanly first (the client gets 403), then raise as Falcon.
                await _refuse_websocket_version(send)
                raise UnsupportedError(
                    f'HTTP version {http_version!r} is not supported for WebSocket; expected '
                    'one of 1.1, 2 or 3.'
                )
            await self._handle_websocket(spec_version, scope, receive, send)
        elif scope_type == 'lifespan':
            spec_version = asgi_info.get('spec_version') or '1.0'
            if not spec_version.startswith(('1.', '2.')):
                raise UnsupportedScopeError(
                    f'The ASGI lifespan scope spec version {spec_version!r} is not supported '
                    '(1.x and 2.x are).'
                )
            await self._handle_lifespan(scope, receive, send)
        else:
            raise UnsupportedScopeError(
                f'The ASGI scope type {scope_type!r} is not supported; lanner handles '
                '"http", "websocket" and "lifespan".'
            )

    # ------------------------------------------------------------------ lifespan

    async def _handle_lifespan(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        while True:
            event = await receive()
            event_type = event.get('type')
            if event_type == 'lifespan.startup':
                version = str(scope['asgi'].get('version', ''))
                if not version.startswith('3.'):
                    await send(
                        {
                            'type': 'lifespan.startup.failed',
                            'message': f'lanner requires ASGI version 3.x; the server '
                            f'announced {version!r}.',
                        }
                    )
                    return
                if getattr(self.req_options, 'auto_parse_form_urlencoded', False):
                    await send(
                        {
                            'type': 'lifespan.startup.failed',
                            'message': 'RequestOptions.auto_parse_form_urlencoded is not '
                            'supported by ASGI apps; use await req.get_media() instead.',
                        }
                    )
                    return
                for process_startup in self._startup_mw:
                    try:
                        await process_startup(scope, event)
                    except Exception:
                        # The server logs the message and exits; the traceback is the reason.
                        await send(
                            {'type': 'lifespan.startup.failed', 'message': traceback.format_exc()}
                        )
                        return
                await send({'type': 'lifespan.startup.complete'})
            elif event_type == 'lifespan.shutdown':
                for process_shutdown in self._shutdown_mw:
                    try:
                        await process_shutdown(scope, event)
                    except Exception:
                        await send(
                            {'type': 'lifespan.shutdown.failed', 'message': traceback.format_exc()}
                        )
                        return
                await send({'type': 'lifespan.shutdown.complete'})
                return
            # Unknown lifespan events are ignored.

    # ------------------------------------------------------------------ http

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
                if not await self._handle_exception(req, resp, ex, params):
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
            if is_head or status_code in _BODILESS_CODES:
                was_sse = sse is not None
                if was_sse:
                    from lanner.asgi import _sse

                    await _sse.discard(resp)
                    sse = None
                if status_code in _NO_CONTENT_TYPE_CODES:
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
                pass
            elif data is not None:
                headers['content-length'] = str(len(data))
            elif stream is None:
                headers['content-length'] = '0'
                data = b''
            if sse is None:
                start = {
                    'type': 'http.response.start',
                    'status': status_code,
                    'headers': resp._asgi_headers(default_type),
                }
        except Exception as ex:
            await self._close_stream_quietly(stream)
            await self._close_stream_quietly(sse)
            start, data = self._emergency_start(req, ex)
            stream = None

        if start is None:
            return await self._send_sse(req, resp, params, send, receive, default_type)
        await send(start)
        if stream is None:
            await send({'type': 'http.response.body', 'body': data})
        elif _is_event_stream(resp, stream) or _body_received(req):
            # Watched for http.disconnect: servers silently drop sends to a closed connection,
            # so an abandoned download (or the page's idiom, resp.stream yielding serialized SSE
            # events) would keep running into the void, and an endless one forever. The
            # watcher consumes receive(), so it only runs once the request body is all in
            # (event streams always: a page's emitter does not read the body).
            from lanner.asgi import _sse

            try:
                # Sends the final empty body event itself when the stream completes.
                finished = await _sse.pump_stream(
                    _stream_chunks(stream, self._STREAM_BLOCK_SIZE), send, receive
                )
            finally:
                await self._close_stream(stream)
            if not finished:
                return False
        else:
            try:
                await self._send_stream(stream, send)
            finally:
                await self._close_stream(stream)
            await send({'type': 'http.response.body', 'body': b''})
        if resp._registered_callbacks:
            self._schedule_callbacks(resp)
        return True

    def _emergency_start(self, req: Any, error: Exception) -> tuple[ASGIMessage, bytes]:
        """A bare 500 when the response cannot be turned into a status line and headers."""
        self._log_exception(req, error, 'The response could not be serialized')
        data = b'' if req.method == 'HEAD' else HTTPInternalServerError().to_json()
        start = {
            'type': 'http.response.start',
            'status': 500,
            'headers': [
                (b'content-type', constants.MEDIA_JSON.encode()),
                (b'content-length', str(len(data)).encode()),
            ],
        }
        return start, data

    async def _send_sse(
        self,
        req: Any,
        resp: Any,
        params: dict[str, Any],
        send: ASGISend,
        receive: ASGIReceive,
        default_type: str | None,
    ) -> bool:
        from lanner.asgi import _sse

        started = False

        async def tracked_send(message: ASGIMessage) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            # False when the client left before the stream ended.
            result = await _sse.respond(self, req, resp, tracked_send, receive, default_type)
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
            if not await self._handle_exception(req, resp, ex, params):
                raise
            resp._headers['content-length'] = '0'
            try:
                headers = resp._asgi_headers(self.resp_options.default_media_type)
                start: ASGIMessage = {
                    'type': 'http.response.start',
                    'status': resp.status_code,
                    'headers': headers,
                }
                data = b''
            except Exception as failure:
                start, data = self._emergency_start(req, failure)
            await send(start)
            await send({'type': 'http.response.body', 'body': data})
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
        if close is not None:
            result = close()
            if isawaitable(result):
                await result

    async def _close_stream_quietly(self, stream: Any) -> None:
        try:
            await self._close_stream(stream)
        except Exception:
            pass  # best effort: the stream is discarded after another failure

    def _schedule_callbacks(self, resp: Any) -> None:
        """Start ``resp.schedule``/``schedule_sync`` callbacks (after the response was sent)."""
        callbacks = resp._registered_callbacks
        if not callbacks:
            return
        loop = asyncio.get_running_loop()
        for callback, is_async in callbacks:
            future: asyncio.Future[Any]
            if is_async:
                future = loop.create_task(callback())
            else:
                future = loop.run_in_executor(None, callback)
            _background_tasks.add(future)
            future.add_done_callback(_log_callback_failure)

    async def _run_teardown_async(
        self, req: Any, resp: Any, resource: Any, completed: bool
    ) -> None:
        for process_teardown in self._teardown_mw:
            try:
                await process_teardown(req, resp, resource, completed)
            except Exception as ex:
                self._log_exception(req, ex, 'process_teardown failed')

    # ------------------------------------------------------------------ websocket

    async def _handle_websocket(
        self, spec_version: str, scope: Scope, receive: ASGIReceive, send: ASGISend
    ) -> None:
        from lanner.asgi import _ws_flow

        await _ws_flow.handle(self, spec_version, scope, receive, send)


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


def _check_framing(req: Any) -> None:
    """Raise the 400 for a request with both Content-Length and Transfer-Encoding.

    The response asks the server to close the connection: whatever the client sent after this
    request may have been framed differently by a proxy in front, so it must not be served.
    """
    headers = req.headers
    if 'transfer-encoding' in headers and 'content-length' in headers:
        raise _framing_conflict({'Connection': 'close'})


async def _send_version_not_supported(send: ASGISend) -> None:
    """Answer 505 (JSON error body) before ``UnsupportedError`` is raised for the version."""
    error = HTTPVersionNotSupported(
        description='The request used an HTTP version this application does not support '
        '(it supports HTTP/1.0, HTTP/1.1, HTTP/2 and HTTP/3).'
    )
    body = error.to_json()
    try:
        await send(
            {
                'type': 'http.response.start',
                'status': error.status_code,
                'headers': [
                    (b'content-type', constants.MEDIA_JSON.encode()),
                    (b'content-length', str(len(body)).encode()),
                ],
            }
        )
        await send({'type': 'http.response.body', 'body': body})
    except Exception:
        # Best effort (a server that already gave up on the connection, a test double without
        # a working send): the UnsupportedError raised next says what went wrong.
        pass


async def _refuse_websocket_version(send: ASGISend) -> None:
    """Deny a WebSocket handshake made over an unsupported HTTP version (3505, i.e. 3000 + 505)."""
    try:
        await send({'type': 'websocket.close', 'code': 3505})
    except Exception:
        pass  # best effort, as in _send_version_not_supported


def _is_event_stream(resp: Any, stream: Any) -> bool:
    content_type = resp._headers.get('content-type')
    return (
        content_type is not None
        and content_type.startswith('text/event-stream')
        and hasattr(stream, '__aiter__')
        and not hasattr(stream, 'read')
    )


def _accepts_ws(handler: Callable[..., Any]) -> bool:
    from lanner.util.misc import get_argnames

    try:
        return 'ws' in get_argnames(handler)
    except (TypeError, ValueError):
        return False
