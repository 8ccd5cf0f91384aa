"""The ASGI application (``lanner.asgi.App``): HTTP, WebSocket and lifespan scopes.

Shares registration, routing and error handling with the WSGI :class:`lanner.App`; only the
request loop, the lifespan protocol and the flavour checks (everything must be ``async``) differ.
The request loop here sends the common response itself; the general (slow-path) sender for
streams, SSE, HEAD, bodiless statuses and failures is the ``ResponseSenderMixin`` base, in
:mod:`lanner.asgi._response_sender`.
WebSocket connections run in :mod:`lanner.asgi._ws_flow`, SSE streams in
:mod:`lanner._sse.asgi_pump`.

Invariants:
- The app awaits exactly one ``receive()`` before handling an HTTP request; a first
  ``http.disconnect`` ends the call without sending anything.
- A response is one ``http.response.start`` followed by one body event (``more_body`` absent), or
  by streamed chunks with ``more_body=True`` and a final empty event.
- Before ``http.response.start``, an ``Exception`` raised by app code becomes a response, except
  those :mod:`lanner.app` lets through to the server as Falcon does (a failing error handler or
  serializer, a response that cannot be started); after it, a failing stream or SSE emitter
  propagates so that the server aborts the connection instead of presenting a truncated body as
  complete.
- ``resp.schedule`` callbacks start only after the final body event was sent (for SSE: right
  after the start event) and never when the response failed; ``process_teardown`` middleware
  always runs, last.
- WebSocket connections are created by lanner-websocket through a factory resolved once, on the
  first WebSocket route or scope; core only needs ``close()`` from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
import functools
import logging
import traceback
from typing import TYPE_CHECKING, Any, ClassVar

from lanner import constants, responders, status_codes
from lanner._app.errors import framing_conflict, unsafe_value_refused
from lanner._app.header_limits import NO_LIMIT, check_asgi_headers
from lanner.app import App as _WSGIApp
from lanner.app_helpers import (
    MiddlewareStacks,
    is_coroutine_callable,
    prepare_lifespan,
    prepare_middleware_ws,
    wrap_non_coroutines,
)
from lanner.asgi import _ws_flow
from lanner.asgi._response_sender import BODILESS_CODES, NEEDS_AWAIT, ResponseSenderMixin
from lanner.asgi._shutdown import OpenStreams
from lanner.asgi.request import Request
from lanner.asgi.response import Response
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
    from typing_extensions import TypeVar  # PEP 696 defaults; only type checkers read this

    from lanner.asgi._ws_flow import ConnectionFactory
    from lanner.typing import ASGIReceive, ASGISend, ErrorHandler, Scope

    _ReqT = TypeVar('_ReqT', bound=Request, default=Request)
    _RespT = TypeVar('_RespT', bound=Response, default=Response)
else:
    from typing import TypeVar

    _ReqT = TypeVar('_ReqT', bound=Request)
    _RespT = TypeVar('_RespT', bound=Response)

__all__ = ('App',)

_logger = logging.getLogger('lanner')

# Body events are built per response (never shared): ASGI middleware may mutate messages in place.
_HTTP_VERSIONS = frozenset(('1.0', '1.1', '2', '3'))

# Predefined status line (lanner.HTTP_200 ...) -> its code, for the fast send.
_LINE_CODES: dict[str, int] = {
    line: int(line[:3])
    for line in vars(status_codes).values()
    if type(line) is str and line[:3].isdigit() and line[3:4] == ' '
}
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


class App(ResponseSenderMixin, _WSGIApp[_ReqT, _RespT]):
    """An ASGI 3 application: same constructor and registration API as :class:`lanner.App`.

    Generic in its request and response types (``lanner.asgi.App[MyRequest, MyResponse]``); a
    bare ``App`` means ``App[lanner.asgi.Request, lanner.asgi.Response]`` to type checkers.

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
        '_open_streams',
        '_shutdown_mw',
        '_startup_mw',
        '_ws_dispatch',
        '_ws_factory',
        '_ws_handlers',
        'ws_options',
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.ws_options = WebSocketOptions()
        self._ws_factory: ConnectionFactory | None = None
        # Error handlers that declare a ``ws`` parameter (decided once, at registration), keyed
        # by identity: the registry hands back the very object that was registered.
        self._ws_handlers: dict[int, Any] = {}
        # Streamed responses and WebSocket handlers in flight, for the lifespan shutdown.
        self._open_streams = OpenStreams()
        super().__init__(*args, **kwargs)
        # What the WebSocket flow needs that never changes, bound once (lanner.asgi._ws_flow).
        self._ws_dispatch = _ws_flow.WebSocketDispatch(
            request_type=self._request_type,
            find_route=self._router_search,
            bad_request=self._default_responder_bad_request,
            path_not_found=self._default_responder_path_not_found,
            handle_exception=self._handle_exception_async,
            connection_factory=self._resolve_ws_factory,
        )

    def _prepare_middleware(
        self, middleware: Iterable[object] | None = None, independent_middleware: bool = False
    ) -> MiddlewareStacks:
        components = list(middleware or ())
        middleware_ws = prepare_middleware_ws(components)
        startup, shutdown = prepare_lifespan(components)
        stacks = super()._prepare_middleware(components, independent_middleware)
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
        return stacks

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

            wrapped = functools.wraps(sink)(wrap_sync_to_async(sink))
            if not hasattr(sink, '__name__'):
                # A callable instance: inspect shows its class name, as for an unwrapped sink.
                wrapped.__name__ = type(sink).__name__
            return wrapped
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

    def _resolve_ws_factory(self) -> ConnectionFactory:
        if self._ws_factory is None:
            from lanner._members import import_member

            websocket = import_member('websocket', 'WebSocket support (on_websocket)')
            self._ws_factory = websocket.WebSocket
        return self._ws_factory

    # ------------------------------------------------------------------ errors

    async def _handle_exception_async(
        self, req: Any, resp: Any, ex: Exception, params: dict[str, Any], ws: Any = None
    ) -> bool:
        """The async :meth:`lanner.App._handle_exception`; ``resp`` is None for a WebSocket.

        Named apart from the sync method (which this App inherits and never calls) so that
        neither signature has to pretend to be the other's.
        """
        handler = self._find_error_handler(ex)
        if handler is None:
            self._report(req, ex, params, False)
            return False
        if resp is not None:
            resp.text = None
            resp.data = None
            resp.media = None
        derived: HTTPStatus | HTTPError | None = None
        try:
            try:
                if ws is not None and id(handler) in self._ws_handlers:
                    await handler(req, resp, ex, params, ws=ws)
                else:
                    await handler(req, resp, ex, params)
            except (HTTPStatus, HTTPError) as raised:
                derived = raised
                if resp is not None:
                    self._compose_raised(req, resp, raised)
                else:
                    await self._close_ws(ws, 3000 + raised.status_code)
        except Exception as failure:
            if resp is None or not isinstance(failure, UnsafeValueError):
                self._report_handler_outcome(req, params, (ex, derived, failure), False)
                if resp is None:
                    # Propagated as in Falcon, but the client is told first (best effort).
                    try:
                        await self._close_ws(ws, self.ws_options.error_close_code)
                    except Exception:
                        pass
                raise
            self._refuse_unsafe_value(req, resp, failure)
            self._report_handler_outcome(req, params, (ex, derived, failure), True)
            return True
        self._report_handler_outcome(req, params, (ex, derived), True)
        return True

    def _log_exception(self, req: Any, error: BaseException, what: str) -> None:
        _logger.error('%s (%s %s)', what, req.method, req.path, exc_info=error)

    @staticmethod
    async def _close_ws(ws: Any, code: int) -> None:
        if ws is not None and not ws.closed:
            await ws.close(code)

    async def _http_status_handler(
        self, req: Any, resp: Any, status: HTTPStatus, params: Any, ws: Any = None
    ) -> None:
        if resp is not None:
            self._compose_status_response(req, resp, status)
        else:
            await self._close_ws(ws, 3000 + status.status_code)

    async def _http_error_handler(
        self, req: Any, resp: Any, error: HTTPError, params: Any, ws: Any = None
    ) -> None:
        if resp is not None:
            self._compose_error_response(req, resp, error)
        else:
            _logger.error('WebSocket handshake or handler failed with %s', error)
            await self._close_ws(ws, 3000 + error.status_code)

    async def _python_error_handler(
        self, req: Any, resp: Any, error: Exception, params: Any, ws: Any = None
    ) -> None:
        if isinstance(error, UnsafeValueError):
            # Bad input, not a bug: a 400 (3400 on a WebSocket) and one warning line.
            refusal = unsafe_value_refused(req, error)
            if resp is not None:
                self._compose_error_response(req, resp, refusal)
            else:
                await self._close_ws(ws, 3000 + refusal.status_code)
            return
        _logger.error(
            'Unhandled exception in ASGI app (%s %s)', req.method, req.path, exc_info=error
        )
        if resp is not None:
            self._compose_error_response(req, resp, HTTPInternalServerError())
        else:
            await self._close_ws(ws, self.ws_options.error_close_code)

    async def _ws_disconnected_error_handler(
        self, req: Any, resp: Any, error: WebSocketDisconnected, params: Any, ws: Any = None
    ) -> None:
        _logger.debug('WebSocket client disconnected (code %s): %s', error.code, req.path)
        if resp is not None:
            # Only reachable if app code raised it during a plain HTTP request.
            self._compose_error_response(req, resp, HTTPInternalServerError())

    # ------------------------------------------------------------------ entry point

    # The one incompatible override left, and on purpose: lanner.asgi.App is a lanner.App (as
    # falcon.asgi.App is a falcon.App, and tests and users rely on it), so its ASGI entry point
    # replaces the WSGI one.
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
        options = self.req_options
        req = self._new_request(scope, receive, first_event, options)
        resp = self._new_response(self.resp_options)
        resource: object | None = None
        params: dict[str, Any] = {}
        request_mw, resource_mw, response_mw = self._middleware
        # PERF: the list is only made when a dependent stack actually queues something.
        dependent: list[Callable[..., Any]] | None = None
        req_succeeded = False

        try:
            # The header backstop (431, lanner._app.header_limits), then the request smuggling
            # defence (RFC 9112 6.1): both framings at once is an error.
            # PERF: ASGI hands the headers over as a list, so this cannot be one lookup as on
            # WSGI: it is a scan of the raw names (about 30 ns per header, 0.2 us for six; a
            # C-level `in map(itemgetter(0), ...)` is no faster); the Content-Length half only
            # runs for the rare request that has a Transfer-Encoding. The field count is the
            # list's length; the bytes are summed in the same scan (a separate C-level
            # `sum(map(len, chain.from_iterable(...)))` costs more than the two len() here).
            raw_headers = scope.get('headers')
            if type(raw_headers) is list:
                if len(raw_headers) > options._max_header_count:
                    check_asgi_headers(raw_headers, options._max_header_count, NO_LIMIT)
                header_bytes = 0
                for raw_name, raw_value in raw_headers:
                    header_bytes += len(raw_name) + len(raw_value)
                    if raw_name == b'transfer-encoding':
                        _check_framing(req)
                if header_bytes > options._max_header_bytes:
                    check_asgi_headers(raw_headers, NO_LIMIT, options._max_header_bytes)
            elif raw_headers:
                # Another iterable (some tools hand in a one-shot one): kept as a list, as the
                # request's header view would keep it.
                raw_headers = scope['headers'] = [tuple(pair) for pair in raw_headers]
                check_asgi_headers(
                    raw_headers, options._max_header_count, options._max_header_bytes
                )
                _check_framing(req)
            if req.method in self._META_METHODS:
                raise HTTPBadRequest()
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
            if not await self._handle_in_call_async(req, resp, ex, params, resource):
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
                if not await self._handle_in_call_async(req, resp, ex, params, resource):
                    raise

        for process_response in response_mw or (reversed(dependent) if dependent else ()):
            try:
                await process_response(req, resp, resource, req_succeeded)
            except Exception as ex:
                if not await self._handle_in_call_async(req, resp, ex, params, resource):
                    raise
                req_succeeded = False

        # PERF: the common response (a body rendered without awaiting, no SSE, no teardown
        # middleware, neither HEAD nor a bodiless status) is sent right here. Anything else, and
        # any failure on the way, goes through _send_response, which starts over and owns the
        # error handling (rendering and header computation are repeatable).
        if self._fast_send and resp._sse is None and req.method != 'HEAD':
            try:
                # PERF: a str text body is encoded here rather than through _render_body_sync,
                # and a predefined status line (lanner.HTTP_200 ...) is one dict hit rather than
                # the status_code property: about 0.1 us less per request (hello: 5.08 -> 4.99 us,
                # the best of 150 batches, paired runs).
                text = resp.text
                if type(text) is str:
                    data = text.encode()
                else:
                    data = resp._render_body_sync()
                    if data is None and resp._stream is None:
                        # No body at all (e.g. a raised redirect): Content-Length 0, empty body.
                        data = b''
                if data is None or data is NEEDS_AWAIT:
                    start = None
                else:
                    status = resp.status
                    status_code = _LINE_CODES.get(status) if type(status) is str else None
                    if status_code is None:
                        status_code = resp.status_code
                    if status_code in BODILESS_CODES:
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
                            # Worded as Falcon's (tools match on the start).
                            'message': f'Falcon requires ASGI version 3.x, and so does '
                            f'lanner; the server announced {version!r}.',
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
                self._open_streams.reset()
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
                # First end the event streams and let every stream and WebSocket handler finish
                # its clean-up (see lanner.asgi._shutdown for why servers need this), so that
                # process_shutdown can release what they used.
                await self._open_streams.stop()
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

    def begin_shutdown(self) -> None:
        """Say that the server has begun shutting down: end the event streams now.

        Every ``resp.sse`` response (and ``resp.stream`` of type ``text/event-stream``) still
        running ends at once with a proper end of body, so that EventSource clients reconnect
        (to another instance) with ``Last-Event-ID``; event streams that start afterwards end
        right after their headers. Nothing else changes: ordinary requests and downloads run
        to completion, WebSockets are the server's to close.

        ``lanner serve`` calls this as soon as uvicorn starts its shutdown (it has stopped
        accepting connections). Under another server, call it from the event loop serving the
        App when the shutdown starts; the lifespan ``shutdown`` event does the same, but
        uvicorn sends it only after its graceful timeout. Calling it again does nothing; the
        next lifespan ``startup`` forgets it.
        """
        self._open_streams.signal_stop()

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

    async def _handle_in_call_async(
        self, req: Any, resp: Any, ex: Exception, params: dict[str, Any], resource: Any
    ) -> bool:
        """The async :meth:`lanner.App._handle_in_call` (teardown runs if the error escapes)."""
        if not self._teardown_mw:
            return await self._handle_exception_async(req, resp, ex, params)
        try:
            handled = await self._handle_exception_async(req, resp, ex, params)
        except BaseException:
            await self._run_teardown_async(req, resp, resource, False)
            raise
        if not handled:
            await self._run_teardown_async(req, resp, resource, False)
        return handled

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
        streams = self._open_streams
        task = streams.add(False)
        try:
            await _ws_flow.handle(
                self._ws_dispatch,
                spec_version,
                scope,
                receive,
                send,
                ws_options=self.ws_options,
                req_options=self.req_options,
                middleware=self._middleware_ws,
                fallback_routes=self._fallback_routes,
            )
        finally:
            streams.discard(task)


def _check_framing(req: Any) -> None:
    """Raise the 400 for a request with both Content-Length and Transfer-Encoding.

    The response asks the server to close the connection: whatever the client sent after this
    request may have been framed differently by a proxy in front, so it must not be served.
    """
    headers = req.headers
    if 'transfer-encoding' in headers and 'content-length' in headers:
        raise framing_conflict({'Connection': 'close'})


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


def _accepts_ws(handler: Callable[..., Any]) -> bool:
    from lanner.util.misc import get_argnames

    try:
        return 'ws' in get_argnames(handler)
    except (TypeError, ValueError):
        return False
