"""The WebSocket handshake flow of ``lanner.asgi.App`` (core side of the WebSocket seam).

Core owns the scope dispatch: it builds the request, runs ``process_request_ws`` /
``process_resource_ws`` middleware, routes with the pseudo-method ``WEBSOCKET``, calls
``on_websocket(req, ws, **params)`` and maps failures to close codes. The connection object
itself comes from lanner-websocket (the App resolves the factory on the first WebSocket route or
scope); core only calls its ``close()`` and reads ``closed`` (:class:`lanner.typing.WebSocketLike`).

The App hands over what it needs through a :class:`WebSocketDispatch` built once, when the App is
constructed, and what may change afterwards (options, middleware, sinks and static routes) as
keyword arguments of :func:`handle`; this module reads nothing else of the App.

Flow (Falcon's):
1. The first event must be ``websocket.connect``, else close 1011 and return.
2. Build ``req`` (method ``GET``, ``is_websocket``) and the connection (with the App's
   ``ws_options``).
3. ``process_request_ws`` -> route: the responder is ``method_map['WEBSOCKET']`` (the request
   itself reports ``GET``, so the App's HTTP routing helper cannot be used) -> if a resource
   matched, ``process_resource_ws`` and ``on_websocket``; else a sink (``ws=`` keyword when it
   declares one), a static route (400) or the 404 responder.
4. When the responder returns, ``ws.close()`` (a no-op if closed; a denial if never accepted).

Close codes: no route -> 3404, no ``on_websocket`` -> 3405, ``HTTPError``/``HTTPStatus`` ->
3000 + status, any other unhandled exception -> ``ws_options.error_close_code`` (1011; the
connection retries with 3011 if the server refuses 1011); ``WebSocketDisconnected`` is logged at
debug level by the App's default handler. As in Falcon, an unhandled ``PayloadTypeError`` (the
client sent a text message where binary was expected or vice versa) is one of those: 1011.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
import logging
from typing import TYPE_CHECKING, Any, Protocol
import warnings

from lanner.errors import HTTPBadRequest

if TYPE_CHECKING:
    from re import Pattern

    from lanner.asgi.request import Request
    from lanner.asgi.ws_options import WebSocketOptions
    from lanner.request import RequestOptions
    from lanner.typing import ASGIReceive, ASGISend, RouteMatch, Scope, WebSocketLike

__all__ = ('ConnectionFactory', 'WebSocketDispatch', 'handle')

_logger = logging.getLogger('lanner')

# Responder "kinds" returned by _route.
_RESOURCE = 0
_SINK = 1
_DEFAULT = 2

Responder = Callable[..., Awaitable[object]]
# (matcher, target, is_sink): the App's sinks and static routes, in the order they are tried.
FallbackRoute = tuple['Pattern[str]', Responder, bool]
# (process_request_ws, process_resource_ws) methods of the App's middleware.
WebSocketMiddleware = tuple[tuple[Responder, ...], tuple[Responder, ...]]


class ConnectionFactory(Protocol):
    """Builds the connection object (``lanner.websocket.WebSocket``) for one scope."""

    def __call__(
        self,
        ver: str,
        scope: Scope,
        receive: ASGIReceive,
        send: ASGISend,
        *,
        media_handlers: Mapping[Any, Any],
        max_receive_queue: int,
        default_close_reasons: Mapping[int, str],
        max_message_size: int | None,
    ) -> WebSocketLike: ...


class ExceptionHandler(Protocol):
    """The App's async ``_handle_exception``, as called for a WebSocket (``resp`` is None)."""

    def __call__(
        self,
        req: Request,
        resp: None,
        ex: Exception,
        params: dict[str, Any],
        ws: WebSocketLike | None = None,
    ) -> Awaitable[bool]: ...


class WebSocketDispatch:
    """What the handshake flow needs from the App that never changes: built once, when the App
    is constructed.

    What an App may change later (options, middleware, sinks and static routes) is passed to
    :func:`handle` per connection.
    """

    __slots__ = (
        'bad_request',
        'connection_factory',
        'find_route',
        'handle_exception',
        'path_not_found',
        'request_type',
    )

    def __init__(
        self,
        *,
        request_type: Callable[..., Request],
        find_route: Callable[..., RouteMatch | None],
        bad_request: Responder,
        path_not_found: Responder,
        handle_exception: ExceptionHandler,
        connection_factory: Callable[[], ConnectionFactory],
    ) -> None:
        self.request_type = request_type
        self.find_route = find_route
        self.bad_request = bad_request
        self.path_not_found = path_not_found
        self.handle_exception = handle_exception
        # Resolved on the first WebSocket route or scope (lanner-websocket is optional).
        self.connection_factory = connection_factory


async def handle(
    dispatch: WebSocketDispatch,
    spec_version: str,
    scope: Scope,
    receive: ASGIReceive,
    send: ASGISend,
    *,
    ws_options: WebSocketOptions,
    req_options: RequestOptions,
    middleware: WebSocketMiddleware,
    fallback_routes: tuple[FallbackRoute, ...],
) -> None:
    """Serve one ``websocket`` scope."""
    first_event = await receive()
    if first_event.get('type') != 'websocket.connect':
        close: dict[str, Any] = {'type': 'websocket.close', 'code': 1011}
        if _spec_at_least(spec_version, (2, 3)):
            close['reason'] = 'Internal Server Error'
        await send(close)
        return

    try:
        factory = dispatch.connection_factory()
    except ModuleNotFoundError as exc:
        _logger.error('%s', exc)
        await send({'type': 'websocket.close', 'code': 1011})
        return

    req = dispatch.request_type(scope, receive, options=req_options)
    web_socket = factory(
        spec_version,
        scope,
        receive,
        send,
        media_handlers=ws_options.media_handlers,
        max_receive_queue=ws_options.max_receive_queue,
        default_close_reasons=ws_options.default_close_reasons,
        max_message_size=getattr(ws_options, 'max_message_size', None),
    )
    request_ws, resource_ws = middleware
    params: dict[str, Any] = {}
    try:
        for process_request_ws in request_ws:
            await process_request_ws(req, web_socket)
        responder, params, resource, kind, req.uri_template = _route(dispatch, fallback_routes, req)
        if kind == _RESOURCE:
            for process_resource_ws in resource_ws:
                await process_resource_ws(req, web_socket, resource, params)
            await responder(req, web_socket, **params)
        elif kind == _SINK:
            await _call_sink(responder, req, web_socket, params)
        else:
            await responder(req, web_socket, **params)
        await web_socket.close()
    except Exception as ex:
        if not await dispatch.handle_exception(req, None, ex, params, ws=web_socket):
            raise
        if not web_socket.closed:
            await web_socket.close()


def _route(
    dispatch: WebSocketDispatch, fallback_routes: tuple[FallbackRoute, ...], req: Request
) -> tuple[Responder, dict[str, Any], object | None, int, str | None]:
    """Find the WebSocket responder for ``req.path``: ``(responder, params, resource, kind,
    uri_template)``."""
    path = req.path
    route: tuple[Any, ...] | None = dispatch.find_route(path, req=req)
    if route is not None:
        uri_template: str | None
        if len(route) == 4:
            resource, method_map, params, uri_template = route
        else:  # legacy 3-tuple routers
            resource, method_map, params = route
            uri_template = None
        if resource is not None:
            try:
                responder: Responder = method_map['WEBSOCKET']
            except KeyError:
                # A custom router that did not install the default responders.
                responder = dispatch.bad_request
            return responder, params, resource, _RESOURCE, uri_template
    for matcher, target, is_sink in fallback_routes:
        match = matcher.match(path)
        if match:
            if is_sink:
                return target, match.groupdict(), None, _SINK, None
            return _static_route_denied, {}, None, _DEFAULT, None
    return dispatch.path_not_found, {}, None, _DEFAULT, None


async def _static_route_denied(req: Request, ws: WebSocketLike, **kwargs: object) -> None:
    raise HTTPBadRequest(
        title='Bad request',
        description='Static routes serve files over HTTP, not WebSocket connections.',
    )


async def _call_sink(
    sink: Responder, req: Request, web_socket: WebSocketLike, params: dict[str, Any]
) -> None:
    """Call a sink for a WebSocket handshake: ``sink(req, None, ws=ws, **groups)``.

    A sink without a ``ws`` parameter (or whose prefix regex has a group named ``ws``) gets the
    connection in place of ``resp``, as in Falcon, with a deprecation warning.
    """
    from lanner.util.misc import get_argnames

    try:
        argnames = get_argnames(sink)
    except (TypeError, ValueError):
        argnames = []
    if 'ws' in argnames and 'ws' not in params:
        await sink(req, None, ws=web_socket, **params)
        return
    from lanner.util.deprecation import DeprecatedWarning

    warnings.warn(
        f'The sink {sink!r} handles a WebSocket handshake but has no "ws" parameter, so the '
        'WebSocket is passed in place of "resp". Add a "ws=None" keyword parameter to the sink '
        '(it is then called as sink(req, None, ws=ws, **groups)).',
        DeprecatedWarning,
        stacklevel=2,
    )
    await sink(req, web_socket, **params)


def _spec_at_least(spec_version: str, minimum: tuple[int, int]) -> bool:
    try:
        major, minor = (int(part) for part in spec_version.split('.')[:2])
    except ValueError:
        return False
    return (major, minor) >= minimum
