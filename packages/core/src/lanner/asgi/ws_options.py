"""WebSocket options owned by core (``app.ws_options``), set before any socket exists."""

from __future__ import annotations

from typing import Any

from lanner.constants import WebSocketPayloadType

__all__ = ('WebSocketOptions',)


def _default_close_reasons() -> dict[int, str]:
    from lanner import status_codes

    reasons = {1000: 'Normal Closure', 1011: 'Internal Server Error', 3011: 'Internal Server Error'}
    for name in status_codes.__all__:
        line = getattr(status_codes, name)
        code, _, phrase = line.partition(' ')
        if 100 <= int(code) <= 599:
            reasons[3000 + int(code)] = phrase
    return reasons


class WebSocketOptions:
    """Options for WebSocket connections of an ASGI app.

    Falcon's attributes are also accepted as keyword arguments (as the commissioning page shows):
    ``WebSocketOptions(media_handlers=..., max_receive_queue=...)``.

    Attributes:
        error_close_code: Close code used for unhandled exceptions (1011).
        default_close_reasons: Close code -> reason used by ``close()`` when none is given.
        media_handlers: Payload type -> handler for ``send_media`` / ``receive_media``.
        max_receive_queue: Messages read ahead of the app (4); 0 disables read-ahead.
    """

    __slots__ = ('default_close_reasons', 'error_close_code', 'max_receive_queue', 'media_handlers')

    def __init__(
        self,
        media_handlers: dict[WebSocketPayloadType, Any] | None = None,
        max_receive_queue: int = 4,
        error_close_code: int = 1011,
        default_close_reasons: dict[int, str] | None = None,
    ) -> None:
        if media_handlers is None:
            from lanner.media import JSONHandlerWS, MessagePackHandlerWS

            media_handlers = {
                WebSocketPayloadType.TEXT: JSONHandlerWS(),
                WebSocketPayloadType.BINARY: MessagePackHandlerWS(),
            }
        if not isinstance(max_receive_queue, int) or max_receive_queue < 0:
            raise ValueError(f'max_receive_queue must be an int >= 0, not {max_receive_queue!r}')
        self.media_handlers = media_handlers
        self.max_receive_queue = max_receive_queue
        self.error_close_code = error_close_code
        self.default_close_reasons = (
            _default_close_reasons() if default_close_reasons is None else default_close_reasons
        )
