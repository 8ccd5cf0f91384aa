"""WebSocket options owned by core (``app.ws_options``), set before any socket exists."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from lanner.constants import WebSocketPayloadType

__all__ = ('WebSocketOptions',)

# Close codes lanner itself uses besides 1000/1011 and "3000 + HTTP status" (RFC 6455 7.4.1).
_PROTOCOL_REASONS = {
    1001: 'Going Away',
    1003: 'Unsupported Data',
    1007: 'Invalid Payload Data',
    1008: 'Policy Violation',
    1009: 'Message Too Big',
}


def _default_close_reasons() -> dict[int, str]:
    from lanner import status_codes

    reasons = {1000: 'Normal Closure', 1011: 'Internal Server Error', 3011: 'Internal Server Error'}
    reasons.update(_PROTOCOL_REASONS)
    for name in dir(status_codes):
        if not name.startswith('HTTP_'):
            continue
        line = getattr(status_codes, name)
        if not isinstance(line, str):
            continue
        code, _, phrase = line.partition(' ')
        if code.isdigit() and 100 <= int(code) <= 599 and phrase:
            reasons.setdefault(3000 + int(code), phrase)
    return reasons


def _default_media_handlers() -> dict[WebSocketPayloadType, Any]:
    from lanner.media import JSONHandlerWS, MissingDependencyHandler

    binary: Any
    try:
        from lanner.media import MessagePackHandlerWS

        binary = MessagePackHandlerWS()
    except ImportError:
        # msgpack is optional: BINARY media then fails only when used, with an install hint.
        binary = MissingDependencyHandler('MessagePackHandlerWS', 'msgpack')
    return {WebSocketPayloadType.TEXT: JSONHandlerWS(), WebSocketPayloadType.BINARY: binary}


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f'{name} must be an int >= {minimum}, not {value!r}.')
    return value


class WebSocketOptions:
    """Options for the WebSocket connections of an ASGI app (``app.ws_options``).

    Falcon builds this with no arguments and apps change the attributes afterwards; lanner also
    accepts every attribute as a keyword argument, e.g.
    ``WebSocketOptions(media_handlers=..., max_receive_queue=...)``.

    Attributes:
        error_close_code: Close code used when an unhandled exception ends a WebSocket flow
            (1011, Internal Server Error).
        default_close_reasons: Close code -> reason used by ``ws.close()`` when no reason is
            given: 1000 ``Normal Closure``, 1011/3011 ``Internal Server Error``, a few RFC 6455
            protocol codes, and 3000 + status for every HTTP status (3404 ``Not Found``).
        media_handlers: ``WebSocketPayloadType`` -> handler used by ``send_media`` /
            ``receive_media`` (JSON for TEXT, MessagePack for BINARY).
        max_receive_queue: How many incoming messages are read ahead of the app (4). Reading
            ahead is what lets a send-only handler notice a disconnect; 0 disables it.
        max_message_size: Largest incoming message, in bytes, that is accepted; a larger one
            closes the connection with 1009 (Message Too Big). None (the default, as in Falcon)
            leaves the limit to the server (uvicorn: 16 MiB).
    """

    __slots__ = (
        'default_close_reasons',
        'error_close_code',
        'max_message_size',
        'max_receive_queue',
        'media_handlers',
    )

    def __init__(
        self,
        media_handlers: MutableMapping[WebSocketPayloadType, Any] | None = None,
        max_receive_queue: int = 4,
        error_close_code: int = 1011,
        default_close_reasons: MutableMapping[int, str] | None = None,
        max_message_size: int | None = None,
    ) -> None:
        self.media_handlers: MutableMapping[WebSocketPayloadType, Any] = (
            _default_media_handlers() if media_handlers is None else media_handlers
        )
        self.max_receive_queue: int = _check_int('max_receive_queue', max_receive_queue, 0)
        self.error_close_code: int = _check_int('error_close_code', error_close_code, 1000)
        self.default_close_reasons: MutableMapping[int, str] = (
            _default_close_reasons() if default_close_reasons is None else default_close_reasons
        )
        self.max_message_size: int | None = (
            None
            if max_message_size is None
            else _check_int('max_message_size', max_message_size, 1)
        )

    def __repr__(self) -> str:
        return (
            f'<WebSocketOptions max_receive_queue={self.max_receive_queue} '
            f'error_close_code={self.error_close_code} '
            f'max_message_size={self.max_message_size}>'
        )
