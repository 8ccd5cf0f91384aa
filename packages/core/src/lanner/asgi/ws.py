"""``lanner.asgi.ws``: Falcon's module path for the WebSocket API.

``WebSocketOptions`` lives in core; ``WebSocket`` and the rest of the connection API come from
lanner-websocket, imported on first use (with an install hint when it is missing).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from lanner.asgi.ws_options import WebSocketOptions
from lanner.constants import WebSocketPayloadType

if TYPE_CHECKING:
    from lanner.websocket import WebSocket

__all__ = ('WebSocket', 'WebSocketOptions', 'WebSocketPayloadType', 'http_status_to_ws_code')


class _WebSocketState(enum.IntEnum):
    # Falcon's module-level name for the server-side states, kept so code written against it
    # still imports. The values equal ``WebSocket.ready_state`` (an IntEnum) for the states
    # Falcon has, so ``ws.ready_state == _WebSocketState.CLOSED`` works (CLOSING has no
    # counterpart in Falcon).
    HANDSHAKE = 0
    ACCEPTED = 1
    CLOSED = 3


def http_status_to_ws_code(status: int) -> int:
    """The close code lanner uses for an HTTP status raised during a WebSocket flow."""
    return status + 3000


def __getattr__(name: str) -> Any:
    from lanner._members import import_member

    module = import_member('websocket', f'lanner.asgi.ws.{name}')
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}') from None
    globals()[name] = value
    return value
