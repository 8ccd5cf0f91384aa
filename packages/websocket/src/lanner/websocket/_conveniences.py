"""Conveniences of :class:`lanner.websocket.WebSocket` beyond Falcon's WebSocket API.

Falcon's ``falcon.asgi.WebSocket`` keeps request data on ``req`` and offers only
``send_media``/``receive_media`` for structured messages. lanner's connection also shows
``path``, ``query_string``, ``headers``, ``client_address`` and ``context`` (views over the ASGI
scope), and ``receive_json``/``send_json``/``receive_msgpack``/``send_msgpack``. They live in
this mixin so that :mod:`lanner.websocket._connection` stays about Falcon's contract and the
connection state machine.

The scope views are computed lazily, on first access, and cached on the connection.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, MutableMapping
from typing import Any

from lanner.constants import WebSocketPayloadType
from lanner.errors import PayloadTypeError

__all__ = ('Message', 'WebSocketConveniences', 'shared_handler')

Message = MutableMapping[str, Any]
"""An ASGI event (``websocket.receive``, ``websocket.send``...)."""

_TEXT = WebSocketPayloadType.TEXT
_BINARY = WebSocketPayloadType.BINARY


class WebSocketConveniences:
    """Mixin of :class:`lanner.websocket.WebSocket`: scope views and JSON/MessagePack messages."""

    __slots__ = ('_context', '_headers', '_json_handler', '_msgpack_handler', '_retained')

    # Provided by the WebSocket class (declared here for type checkers).
    _scope: Mapping[str, Any]
    _buffer: deque[Message]
    _media_handlers: Mapping[WebSocketPayloadType, Any]

    def __init__(self) -> None:
        self._headers: dict[str, str] | None = None
        self._context: Any = None
        self._json_handler: Any = None
        self._msgpack_handler: Any = None
        self._retained: Message | None = None

    async def _next_message(self) -> Message:
        raise NotImplementedError

    async def _send(self, event: Message) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ scope views

    @property
    def client_address(self) -> tuple[str, int] | None:
        """The client's ``(host, port)`` as reported by the server, or None if unknown."""
        client = self._scope.get('client')
        if client is not None and not isinstance(client, (tuple, list)):
            # A one-shot iterable is allowed by ASGI: materialise it once and keep it.
            client = tuple(client)
            scope = self._scope
            if isinstance(scope, dict):
                scope['client'] = client
        if not client:
            return None
        return (str(client[0]), int(client[1]))

    @property
    def path(self) -> str:
        """The request path of the handshake (``scope['path']``, percent-decoded)."""
        return self._scope.get('path') or '/'

    @property
    def query_string(self) -> str:
        """The raw query string of the handshake, without the ``?``."""
        raw = self._scope.get('query_string') or b''
        return raw.decode('latin-1') if isinstance(raw, bytes) else str(raw)

    @property
    def headers(self) -> dict[str, str]:
        """The handshake request headers: lower-case names, values decoded as latin-1.

        Repeated headers are joined with ``,`` (for singleton headers such as ``host`` the last
        one wins), as in ``lanner.asgi.Request.headers``.
        """
        headers = self._headers
        if headers is None:
            from lanner.asgi.request import headers_from_scope

            headers = headers_from_scope(self._scope)
            self._headers = headers
        return headers

    @property
    def context(self) -> Any:
        """Per-connection scratch space for the app (a :class:`lanner.Context`)."""
        context = self._context
        if context is None:
            from lanner.util.structures import Context

            context = self._context = Context()
        return context

    # ------------------------------------------------------------------ JSON and MessagePack

    async def receive_json(self) -> object:
        """Wait for the next message and parse it as JSON (a lanner addition).

        A message that is not valid JSON is *not* consumed at first: ValueError is raised and
        the same message is returned by the next ``receive_*`` call, so the caller can fall back
        to ``receive_text()`` (as in the EchoWebSocket example). If the next call tries to
        decode it again, it is consumed and ValueError is raised again, so a loop that ignores
        bad messages cannot spin on one forever.

        Raises:
            ValueError: The message is not valid JSON.
        """
        event = await self._next_message()
        handler = self._json_handler or self._resolve_json_handler()
        payload = event.get('text')
        if payload is None:
            payload = event.get('bytes')
            if payload is None:
                raise PayloadTypeError('The message carries neither text nor bytes.')
            try:
                payload = bytes(payload).decode('utf-8')
            except UnicodeDecodeError as ex:
                self._retain(event)
                raise ValueError(f'The binary message is not UTF-8 encoded JSON: {ex}') from ex
        try:
            return handler.deserialize(payload)
        except ValueError:
            self._retain(event)
            raise

    async def receive_msgpack(self) -> object:
        """Wait for the next binary message and unpack it as MessagePack (a lanner addition).

        Like :meth:`receive_json`, a message that cannot be decoded is left in place once and
        ValueError is raised.

        Raises:
            PayloadTypeError: The message is text (left in place once).
            ValueError: The message is not valid MessagePack.
        """
        event = await self._next_message()
        data = event.get('bytes')
        if data is None:
            self._retain(event)
            raise PayloadTypeError('Expected a BINARY MessagePack message, but got TEXT.')
        handler = self._msgpack_handler or self._resolve_msgpack_handler()
        try:
            return handler.deserialize(bytes(data))
        except ValueError:
            self._retain(event)
            raise
        except Exception as ex:  # msgpack raises a few non-ValueError classes for garbage
            self._retain(event)
            raise ValueError(f'The message is not valid MessagePack: {ex}') from ex

    def _retain(self, event: Message) -> None:
        """Put an undecodable message back for the next receive, unless it was already."""
        if self._retained is event:
            self._retained = None
            return
        self._retained = event
        self._buffer.appendleft(event)

    async def send_json(self, obj: object) -> None:
        """Serialize ``obj`` as JSON and send it as a text message (a lanner addition)."""
        handler = self._json_handler or self._resolve_json_handler()
        text = handler.serialize(obj)
        await self._send({'type': 'websocket.send', 'text': text})

    async def send_msgpack(self, obj: object) -> None:
        """Pack ``obj`` as MessagePack and send it as a binary message (a lanner addition)."""
        handler = self._msgpack_handler or self._resolve_msgpack_handler()
        await self._send({'type': 'websocket.send', 'bytes': bytes(handler.serialize(obj))})

    def _resolve_json_handler(self) -> Any:
        from lanner.media import JSONHandlerWS

        handler = self._media_handlers.get(_TEXT)
        if not isinstance(handler, JSONHandlerWS):
            handler = shared_handler('json')
        self._json_handler = handler
        return handler

    def _resolve_msgpack_handler(self) -> Any:
        from lanner.media import MessagePackHandlerWS

        handler = self._media_handlers.get(_BINARY)
        if not isinstance(handler, MessagePackHandlerWS):
            handler = shared_handler('msgpack')
        self._msgpack_handler = handler
        return handler


_shared_handlers: dict[str, Any] = {}


def shared_handler(kind: str) -> Any:
    """A default JSON/MessagePack handler for send_json & co. when the app registered others."""
    handler = _shared_handlers.get(kind)
    if handler is None:
        from lanner.media import JSONHandlerWS, MessagePackHandlerWS

        handler = JSONHandlerWS() if kind == 'json' else MessagePackHandlerWS()
        _shared_handlers[kind] = handler
    return handler
