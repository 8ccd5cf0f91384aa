"""Constants from the ASGI specification: event types, scope types and WebSocket close codes.

Plain classes of constants (not enums), so the values compare equal to the strings and ints
found in ASGI messages without any conversion.
"""

from __future__ import annotations

__all__ = ('EventType', 'ScopeType', 'WSCloseCode')


class ScopeType:
    """Values of ``scope['type']``."""

    HTTP = 'http'
    WS = 'websocket'
    LIFESPAN = 'lifespan'


class EventType:
    """Values of the ``type`` key of ASGI events."""

    HTTP_REQUEST = 'http.request'
    HTTP_RESPONSE_START = 'http.response.start'
    HTTP_RESPONSE_BODY = 'http.response.body'
    HTTP_DISCONNECT = 'http.disconnect'

    LIFESPAN_STARTUP = 'lifespan.startup'
    LIFESPAN_STARTUP_COMPLETE = 'lifespan.startup.complete'
    LIFESPAN_STARTUP_FAILED = 'lifespan.startup.failed'
    LIFESPAN_SHUTDOWN = 'lifespan.shutdown'
    LIFESPAN_SHUTDOWN_COMPLETE = 'lifespan.shutdown.complete'
    LIFESPAN_SHUTDOWN_FAILED = 'lifespan.shutdown.failed'

    WS_CONNECT = 'websocket.connect'
    WS_ACCEPT = 'websocket.accept'
    WS_RECEIVE = 'websocket.receive'
    WS_SEND = 'websocket.send'
    WS_DISCONNECT = 'websocket.disconnect'
    WS_CLOSE = 'websocket.close'


class WSCloseCode:
    """WebSocket close codes used by the framework (3000 + HTTP status for denials)."""

    NORMAL = 1000
    SERVER_ERROR = 1011
    FORBIDDEN = 3403
    PATH_NOT_FOUND = 3404
    HANDLER_NOT_FOUND = 3405
