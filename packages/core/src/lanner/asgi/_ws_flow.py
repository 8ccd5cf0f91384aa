"""The WebSocket handshake flow of ``lanner.asgi.App`` (core side of the WebSocket seam).

Core owns the scope dispatch: it builds the request, runs ``process_request_ws`` /
``process_resource_ws`` middleware, routes with the pseudo-method ``WEBSOCKET``, calls
``on_websocket(req, ws, **params)`` and maps failures to close codes. The connection object
itself comes from lanner-websocket (``app._resolve_ws_factory()``); core only calls its
``close()`` and reads ``closed``.

Flow (Falcon's):
1. The first event must be ``websocket.connect``, else close 1011 and return.
2. Build ``req`` (method ``GET``, ``is_websocket``) and the connection from ``app.ws_options``.
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

import logging
from typing import TYPE_CHECKING, Any
import warnings

from lanner.errors import HTTPBadRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from lanner.asgi.app import App
    from lanner.typing import ASGIReceive, ASGISend, Scope

_logger = logging.getLogger('lanner')

# Responder "kinds" returned by _route.
_RESOURCE = 0
_SINK = 1
_DEFAULT = 2


async def handle(
    app: App[Any, Any], spec_version: str, scope: Scope, receive: ASGIReceive, send: ASGISend
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
        factory = app._resolve_ws_factory()
    except ModuleNotFoundError as exc:
        _logger.error('%s', exc)
        await send({'type': 'websocket.close', 'code': 1011})
        return

    options = app.ws_options
    req = app._request_type(scope, receive, options=app.req_options)
    web_socket = factory(
        spec_version,
        scope,
        receive,
        send,
        options.media_handlers,
        options.max_receive_queue,
        options.default_close_reasons,
        max_message_size=getattr(options, 'max_message_size', None),
    )
    request_ws, resource_ws = app._middleware_ws
    params: dict[str, Any] = {}
    try:
        for process_request_ws in request_ws:
            await process_request_ws(req, web_socket)
        responder, params, resource, kind, req.uri_template = _route(app, req)
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
        await _handle_error(app, req, web_socket, ex, params)


def _route(
    app: App[Any, Any], req: Any
) -> tuple[Callable[..., Any], dict[str, Any], object | None, int, str | None]:
    """Find the WebSocket responder for ``req.path``: ``(responder, params, resource, kind,
    uri_template)``."""
    path = req.path
    route: Any = app._router_search(path, req=req)
    if route is not None:
        if len(route) == 4:
            resource, method_map, params, uri_template = route
        else:  # legacy 3-tuple routers
            resource, method_map, params = route
            uri_template = None
        if resource is not None:
            try:
                responder = method_map['WEBSOCKET']
            except KeyError:
                # A custom router that did not install the default responders.
                responder = app._default_responder_bad_request
            return responder, params, resource, _RESOURCE, uri_template
    for matcher, target, is_sink in app._fallback_routes:
        match = matcher.match(path)
        if match:
            if is_sink:
                return target, match.groupdict(), None, _SINK, None
            return _static_route_denied, {}, None, _DEFAULT, None
    return app._default_responder_path_not_found, {}, None, _DEFAULT, None


async def _static_route_denied(req: Any, ws: Any, **kwargs: Any) -> None:
    raise HTTPBadRequest(
        title='Bad request',
        description='Static routes serve files over HTTP, not WebSocket connections.',
    )


async def _call_sink(
    sink: Callable[..., Any], req: Any, web_socket: Any, params: dict[str, Any]
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


async def _handle_error(
    app: App[Any, Any], req: Any, web_socket: Any, ex: Exception, params: dict[str, Any]
) -> None:
    if not await app._handle_exception(req, None, ex, params, ws=web_socket):
        raise ex
    if not web_socket.closed:
        await web_socket.close()


def _spec_at_least(spec_version: str, minimum: tuple[int, int]) -> bool:
    try:
        major, minor = (int(part) for part in spec_version.split('.')[:2])
    except ValueError:
        return False
    return (major, minor) >= minimum
