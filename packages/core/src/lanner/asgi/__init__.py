"""ASGI flavour of lanner: ``App``, ``Request``, ``Response`` and friends.

``WebSocket`` (lanner-websocket) and ``SSEvent`` (lanner-sse) come from other distributions; they
are imported on first use with a clear install hint when missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lanner.asgi.app import App
from lanner.asgi.request import Request
from lanner.asgi.response import Response
from lanner.asgi.stream import BoundedStream
from lanner.asgi.ws_options import WebSocketOptions

if TYPE_CHECKING:
    from lanner.sse import SSEvent
    from lanner.websocket import WebSocket

__all__ = (
    'App',
    'BoundedStream',
    'Request',
    'Response',
    'SSEvent',
    'WebSocket',
    'WebSocketOptions',
)


def __getattr__(name: str) -> Any:
    from lanner._members import import_member

    if name == 'WebSocket':
        value = import_member('websocket', 'lanner.asgi.WebSocket').WebSocket
    elif name == 'SSEvent':
        value = import_member('sse', 'lanner.asgi.SSEvent (Server-Sent Events)').SSEvent
    else:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    globals()[name] = value
    return value
