"""lanner-websocket: WebSocket connections for ``lanner.asgi.App``.

``lanner.asgi.WebSocket`` is :class:`WebSocket` from this package (core imports it on first
use). A resource handles connections with ``async def on_websocket(self, req, ws, **params)``;
:class:`Broadcaster` fans one message out to many connections.

The option, payload-type and error classes live in lanner-core and are re-exported here for
convenience.
"""

from __future__ import annotations

from lanner.asgi.ws_options import WebSocketOptions
from lanner.constants import WebSocketPayloadType
from lanner.errors import (
    OperationNotAllowed,
    PayloadTypeError,
    WebSocketDisconnected,
    WebSocketHandlerNotFound,
    WebSocketPathNotFound,
    WebSocketServerError,
)
from lanner.websocket._broadcast import Broadcaster, BroadcastResult
from lanner.websocket._connection import ReadyState, WebSocket
from lanner.websocket._version import __version__

__all__ = (
    'BroadcastResult',
    'Broadcaster',
    'OperationNotAllowed',
    'PayloadTypeError',
    'ReadyState',
    'WebSocket',
    'WebSocketDisconnected',
    'WebSocketHandlerNotFound',
    'WebSocketOptions',
    'WebSocketPathNotFound',
    'WebSocketPayloadType',
    'WebSocketServerError',
    '__version__',
)
