"""The WebSocket handshake flow of ``lanner.asgi.App`` (core side of the WebSocket seam).

Core owns the scope dispatch: it builds the request, runs ``process_request_ws`` /
``process_resource_ws`` middleware, routes with the pseudo-method ``WEBSOCKET``, calls
``on_websocket(req, ws, **params)`` and maps failures to close codes. The connection object
itself comes from lanner-websocket (``app._resolve_ws_factory()``); core only calls its
``close()`` and reads ``closed``.

Close codes: no route -> 3404, no ``on_websocket`` -> 3405, ``HTTPError``/``HTTPStatus`` ->
3000 + status, any other exception -> ``ws_options.error_close_code`` (1011).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lanner.errors import WebSocketDisconnected

if TYPE_CHECKING:
    from lanner.asgi.app import App
    from lanner.typing import ASGIReceive, ASGISend, Scope

_logger = logging.getLogger('lanner')


async def handle(app: App, spec_version: str, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
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
    )
    request_ws, resource_ws = app._middleware_ws
    params: dict[str, Any] = {}
    try:
        for process_request_ws in request_ws:
            await process_request_ws(req, web_socket)
        responder, params, resource, req.uri_template = app._get_responder(req)
        if resource is not None:
            for process_resource_ws in resource_ws:
                await process_resource_ws(req, web_socket, resource, params)
            await responder(req, web_socket, **params)
        else:
            await _call_fallback(responder, req, web_socket, params)
        await web_socket.close()
    except WebSocketDisconnected:
        _logger.debug('WebSocket client disconnected: %s', req.path)
    except Exception as ex:
        if not await app._handle_exception(req, None, ex, params, ws=web_socket):
            raise
        if not web_socket.closed:
            await web_socket.close()


async def _call_fallback(responder: Any, req: Any, web_socket: Any, params: dict[str, Any]) -> None:
    """Sinks, static routes and the default 404 responder for a WebSocket handshake."""
    from lanner.util.misc import get_argnames

    try:
        argnames = get_argnames(responder)
    except (TypeError, ValueError):
        argnames = []
    if 'ws' in argnames and 'ws' not in params:
        await responder(req, None, ws=web_socket, **params)
    else:
        await responder(req, web_socket, **params)


def _spec_at_least(spec_version: str, minimum: tuple[int, int]) -> bool:
    try:
        major, minor = (int(part) for part in spec_version.split('.')[:2])
    except ValueError:
        return False
    return (major, minor) >= minimum
