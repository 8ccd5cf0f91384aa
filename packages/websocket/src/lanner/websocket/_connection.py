"""``lanner.asgi.WebSocket``: one WebSocket connection of an ASGI app.

State machine (``ready_state``)::

    CONNECTING --accept()--> OPEN --close() / peer disconnect / protocol violation--> CLOSED
         \\--close() (a denial: HTTP 403 for the client)-------------------------------^

``CLOSING`` is reported only while ``close()`` is handing the close event to the server.

Invariants:
- Nothing is sent after the connection is CLOSED: every send checks the state first, and the
  state changes to CLOSING/CLOSED *before* the close event is awaited, so concurrent senders
  see it.
- Incoming messages are read ahead of the app by one background "pump" task per connection
  (started by ``accept()``, unless ``max_receive_queue`` is 0). The pump never holds more than
  ``max_receive_queue`` messages: when the buffer is full it stops calling the server's
  ``receive()``, which is real backpressure (uvicorn, for one, then pauses reading the socket).
- A disconnect seen by the pump wakes every coroutine blocked in ``receive_*`` and cancels
  every coroutine blocked in ``send_*`` on this connection; both raise
  ``WebSocketDisconnected``. Messages that arrived before the disconnect are still delivered.
- A message that breaks the protocol on arrival (invalid UTF-8 text, larger than
  ``max_message_size``) closes the connection at once with 1007 or 1009.
- The pump is cancelled when the connection closes and, at the latest, when the task that
  called ``accept()`` finishes, so it can never outlive the ASGI call.

Costs: O(1) per message; memory per connection is bounded by ``max_receive_queue`` messages of
at most ``max_message_size`` (or the server's own limit) each.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
import enum
import logging
import re
import sys
from typing import TYPE_CHECKING, Any, Final

from lanner.constants import WebSocketPayloadType
from lanner.errors import OperationNotAllowed, PayloadTypeError, WebSocketDisconnected
from lanner.websocket._checks import (
    check_close_code,
    check_close_reason,
    check_subprotocol,
    has_lone_surrogate,
    normalize_accept_headers,
)
from lanner.websocket._conveniences import Message, WebSocketConveniences

if TYPE_CHECKING:
    from lanner.asgi.ws_options import WebSocketOptions

__all__ = ('ReadyState', 'WebSocket')

Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_logger = logging.getLogger('lanner')

_TEXT: Final = WebSocketPayloadType.TEXT
_BINARY: Final = WebSocketPayloadType.BINARY

# Close codes for messages that break the protocol (RFC 6455, section 7.4.1).
CLOSE_UNSUPPORTED_DATA: Final = 1003
CLOSE_INVALID_PAYLOAD: Final = 1007
CLOSE_MESSAGE_TOO_BIG: Final = 1009

# ASGI servers report send failures in their own words; these patterns pick out the close code.
_RECEIVED_CODE = re.compile(r'received (\d{4})')
_NORMAL_CLOSURE_TEXT = 'code = 1000 (OK)'
_SUBPROTOCOL_REFUSED_TEXT = 'protocol accepted must be from the list'


class ReadyState(enum.IntEnum):
    """``WebSocket.ready_state``: the same numbers as the browser's ``WebSocket.readyState``."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


_CONNECTING: Final = ReadyState.CONNECTING
_OPEN: Final = ReadyState.OPEN
_CLOSING: Final = ReadyState.CLOSING
_CLOSED: Final = ReadyState.CLOSED

_default_options: WebSocketOptions | None = None


def _defaults() -> WebSocketOptions:
    global _default_options
    if _default_options is None:
        from lanner.asgi.ws_options import WebSocketOptions

        _default_options = WebSocketOptions()
    return _default_options


def _spec_at_least(spec_version: str, minimum: tuple[int, int]) -> bool:
    try:
        major, minor = (int(part) for part in spec_version.split('.')[:2])
    except ValueError:
        return False
    return (major, minor) >= minimum


class _ReadAhead:
    """What ``ws._buffered_receiver`` offers: ``start()``, which has nothing to do here.

    lanner's read-ahead pump starts in ``accept()`` (it cannot read messages before the
    handshake anyway), so starting it earlier, as Falcon allows, is a no-op.
    """

    __slots__ = ()

    def start(self) -> None:
        pass


class WebSocket(WebSocketConveniences):
    """One WebSocket connection, passed to ``on_websocket(req, ws, **params)``.

    Created by :class:`lanner.asgi.App` for every ``websocket`` scope. The framework calls the
    constructor with Falcon's internal signature
    ``WebSocket(ver, scope, receive, send, media_handlers, max_receive_queue,
    default_close_reasons)``. As a lanner addition, a raw ASGI app may also build one directly
    with ``WebSocket(scope, receive, send)`` (options then come from ``options=`` or the
    defaults of :class:`lanner.asgi.WebSocketOptions`); ``accept()`` then first waits for the
    ``websocket.connect`` event.

    Request data (headers, query parameters, cookies...) is on the ``req`` passed alongside;
    ``path``, ``query_string``, ``headers``, ``client_address`` and ``context`` are also
    available here as lanner additions.
    """

    __slots__ = (
        '__weakref__',
        '_asgi_receive',
        '_asgi_send',
        '_buffer',
        '_close_code',
        '_close_reasons',
        '_connect_pending',
        '_disconnect_cancelled',
        '_getters',
        '_max_message_size',
        '_max_receive_queue',
        '_media_handlers',
        '_pump',
        '_scope',
        '_senders',
        '_space',
        '_spec_version',
        '_state',
        '_supports_accept_headers',
        '_supports_reason',
    )

    def __init__(
        self,
        ver: str | Mapping[str, Any],
        scope: Any,
        receive: Any,
        send: Send | None = None,
        media_handlers: Mapping[WebSocketPayloadType, Any] | None = None,
        max_receive_queue: int | None = None,
        default_close_reasons: Mapping[int, str] | None = None,
        *,
        max_message_size: int | None = None,
        options: WebSocketOptions | None = None,
    ) -> None:
        if isinstance(ver, str):
            if send is None:
                raise TypeError(
                    'WebSocket(ver, scope, receive, send, ...) needs the ASGI send callable.'
                )
            self._connect_pending = False
        else:
            # The short form: WebSocket(scope, receive, send). Shift the arguments.
            if send is not None:
                raise TypeError(
                    'Use either WebSocket(scope, receive, send) or the framework form '
                    'WebSocket(ver, scope, receive, send, ...), not a mix.'
                )
            ver, scope, receive, send = (
                str((ver.get('asgi') or {}).get('spec_version') or '2.0'),
                ver,
                scope,
                receive,
            )
            self._connect_pending = True
        if options is None and (
            media_handlers is None or max_receive_queue is None or default_close_reasons is None
        ):
            options = _defaults()
        if options is not None:
            if media_handlers is None:
                media_handlers = options.media_handlers
            if max_receive_queue is None:
                max_receive_queue = options.max_receive_queue
            if default_close_reasons is None:
                default_close_reasons = options.default_close_reasons
            if max_message_size is None:
                max_message_size = getattr(options, 'max_message_size', None)
        assert media_handlers is not None and default_close_reasons is not None
        if not isinstance(max_receive_queue, int) or max_receive_queue < 0:
            raise ValueError(
                f'max_receive_queue must be an int >= 0 (0 disables read-ahead), '
                f'not {max_receive_queue!r}.'
            )
        if max_message_size is not None and (
            not isinstance(max_message_size, int) or max_message_size < 1
        ):
            raise ValueError(
                f'max_message_size must be a positive int or None, not {max_message_size!r}.'
            )

        super().__init__()
        self._spec_version = ver
        self._scope: Mapping[str, Any] = scope
        self._asgi_receive: Receive = receive
        self._asgi_send: Send = send
        self._media_handlers = media_handlers
        self._max_receive_queue = max_receive_queue
        self._max_message_size = max_message_size
        self._close_reasons = default_close_reasons
        self._supports_accept_headers = ver != '2.0'
        self._supports_reason = _spec_at_least(ver, (2, 3))

        self._state = _CONNECTING
        self._close_code: int | None = None
        self._buffer: deque[Message] = deque()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._space: asyncio.Future[None] | None = None
        self._pump: asyncio.Task[None] | None = None
        self._senders: set[asyncio.Task[Any]] = set()
        self._disconnect_cancelled: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return (
            f'<{type(self).__name__} path={self.path!r} '
            f'ready_state={self._state.name}'
            + (f' close_code={self._close_code}' if self._close_code is not None else '')
            + '>'
        )

    # ------------------------------------------------------------------ Falcon's state flags

    @property
    def unaccepted(self) -> bool:
        """True until the connection is accepted or closed."""
        return self._state == _CONNECTING

    @property
    def ready(self) -> bool:
        """True once accepted, until either side closes the connection."""
        return self._state == _OPEN

    @property
    def closed(self) -> bool:
        """True once the app closed the connection or the client disconnected."""
        return self._state >= _CLOSING

    @property
    def supports_accept_headers(self) -> bool:
        """Whether ``accept(headers=...)`` is possible (the server speaks ASGI WebSocket > 2.0)."""
        return self._supports_accept_headers

    @property
    def subprotocols(self) -> tuple[str, ...]:
        """The subprotocols the client offered, in its order of preference (``()`` if none)."""
        return tuple(self._scope.get('subprotocols') or ())

    # ------------------------------------------------------------------ beyond Falcon's API

    @property
    def ready_state(self) -> ReadyState:
        """Connection state as an int, numbered like the browser's ``WebSocket.readyState``:
        0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED (see :class:`ReadyState`)."""
        return self._state

    @property
    def close_code(self) -> int | None:
        """The code the connection was closed with (by either side); None while open."""
        return self._close_code

    @property
    def _buffered_receiver(self) -> _ReadAhead:
        # Falcon's name for its read-ahead receiver, which code may start() before accept().
        return _ReadAhead()

    # ------------------------------------------------------------------ handshake

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Mapping[str, str] | Any | None = None,
    ) -> None:
        """Accept the connection (complete the WebSocket handshake).

        Args:
            subprotocol: The subprotocol to use, normally one of :attr:`subprotocols`.
            headers: Extra response headers for the handshake: a mapping or an iterable of
                ``(name, value)`` str pairs (ASCII). Not allowed on ASGI WebSocket 2.0 servers.

        Raises:
            OperationNotAllowed: Already accepted or closed, or headers on a 2.0 server.
            ValueError: Invalid subprotocol or headers.
            WebSocketDisconnected: The client went away during the handshake.
        """
        if self._state != _CONNECTING:
            if self._state == _OPEN:
                raise OperationNotAllowed('accept() was already called on this WebSocket.')
            raise OperationNotAllowed(
                'This WebSocket connection is closed; it can no longer be accepted.'
            )
        event: Message = {'type': 'websocket.accept', 'subprotocol': None}
        if subprotocol is not None:
            event['subprotocol'] = check_subprotocol(subprotocol)
        if headers:  # an empty collection sends no headers at all, as Falcon
            if not self._supports_accept_headers:
                raise OperationNotAllowed(
                    'The ASGI server speaks WebSocket spec 2.0, which cannot send extra '
                    'handshake headers; check ws.supports_accept_headers before passing headers.'
                )
            event['headers'] = normalize_accept_headers(headers)
        if self._connect_pending:
            await self._wait_for_connect()
        try:
            await self._asgi_send(event)
        except OSError as ex:
            self._peer_closed(_code_from_error(ex, self._close_code))
            raise WebSocketDisconnected(self._close_code) from ex
        except Exception as ex:
            if 'subprotocol' in str(ex).lower():
                raise ValueError(
                    f'The server rejected the subprotocol {subprotocol!r}: {ex}. Accept with one '
                    f'of the subprotocols the client offered: {self.subprotocols!r}.'
                ) from ex
            raise
        if self._state != _CONNECTING:  # closed by a concurrent close() meanwhile
            return
        self._state = _OPEN
        if self._max_receive_queue > 0:
            pump = self._pump = asyncio.get_running_loop().create_task(self._run_pump())
            owner = asyncio.current_task()
            if owner is not None:
                # The pump must never outlive the coroutine that owns the connection, even
                # when that coroutine is cancelled and never reaches close().
                owner.add_done_callback(lambda _task: pump.cancel())

    async def _wait_for_connect(self) -> None:
        while True:
            event = await self._asgi_receive()
            kind = event.get('type')
            if kind == 'websocket.connect':
                self._connect_pending = False
                return
            if kind == 'websocket.disconnect':
                self._connect_pending = False
                self._peer_closed(event.get('code') or 1000)
                raise WebSocketDisconnected(self._close_code)

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the connection (before ``accept()`` this denies the handshake: HTTP 403).

        Does nothing if the connection is already closed.

        Args:
            code: Close code, 1000 by default. 1004-1006, 1015-1999 and anything outside
                1000-4999 are rejected.
            reason: Close reason (at most 123 bytes of UTF-8). Defaults to
                ``ws_options.default_close_reasons.get(code)``. Only sent when the server
                speaks ASGI WebSocket spec 2.3 or later.

        Raises:
            ValueError: Invalid close code or reason.
        """
        code = 1000 if code is None else check_close_code(code)
        if reason is not None:
            reason = check_close_reason(reason)
        state = self._state
        if state >= _CLOSING:
            self._stop_pump()
            return
        if reason is None:
            reason = self._close_reasons.get(code)
        self._state = _CLOSING
        self._close_code = code
        self._stop_pump()
        self._wake_receivers()
        try:
            await self._send_close(code, reason)
        finally:
            self._state = _CLOSED

    async def _send_close(self, code: int, reason: str | None) -> None:
        event: Message = {'type': 'websocket.close', 'code': code}
        if reason and self._supports_reason:
            event['reason'] = reason
        try:
            await self._asgi_send(event)
        except OSError:
            # The client is already gone: the connection is closed, which is what was asked.
            _logger.debug('WebSocket client was gone before close(%s) was sent', code)
        except Exception as ex:
            message = str(ex)
            if _NORMAL_CLOSURE_TEXT in message:
                return
            if code == 1011 and 'close code' in message.lower():
                # Some servers refuse 1011; 3011 carries the same meaning in the
                # application range.
                self._close_code = 3011
                await self._send_close(3011, self._close_reasons.get(3011))
                return
            raise

    # ------------------------------------------------------------------ receiving

    async def receive_text(self) -> str:
        """Wait for the next message and return its text.

        Raises:
            PayloadTypeError: The message is binary (it is consumed). Left unhandled in
                ``on_websocket``, the connection is closed with 1011, as any error.
            WebSocketDisconnected: The connection is closed (buffered messages come first).
            OperationNotAllowed: The connection was not accepted yet.
        """
        event = await self._next_message()
        text = event.get('text')
        if text is None:
            raise PayloadTypeError('Expected a TEXT message, but the client sent a BINARY one.')
        return str(text)

    async def receive_data(self) -> bytes:
        """Wait for the next message and return its bytes.

        Raises:
            PayloadTypeError: The message is text (it is consumed). Left unhandled in
                ``on_websocket``, the connection is closed with 1011, as any error.
            WebSocketDisconnected: The connection is closed (buffered messages come first).
            OperationNotAllowed: The connection was not accepted yet.
        """
        event = await self._next_message()
        data = event.get('bytes')
        if data is None:
            raise PayloadTypeError('Expected a BINARY message, but the client sent a TEXT one.')
        return bytes(data)

    async def receive_media(self) -> object:
        """Wait for the next message and deserialize it with ``ws_options.media_handlers``.

        Text messages go to the TEXT handler (JSON by default), binary ones to the BINARY
        handler (MessagePack by default). Decoding errors propagate from the handler.
        """
        event = await self._next_message()
        text = event.get('text')
        if text is not None:
            return self._media_handlers[_TEXT].deserialize(text)
        data = event.get('bytes')
        if data is not None:
            return self._media_handlers[_BINARY].deserialize(bytes(data))
        raise PayloadTypeError('The message carries neither text nor bytes.')

    async def _next_message(self) -> Message:
        """The next ``websocket.receive`` event, from the buffer or the server."""
        buffer = self._buffer
        while True:
            if buffer:
                event = buffer.popleft()
                if self._retained is not None and event is not self._retained:
                    self._retained = None  # the retained message was consumed meanwhile
                space = self._space
                if space is not None:
                    self._space = None
                    if not space.done():
                        space.set_result(None)
                return event
            state = self._state
            if state != _OPEN:
                if state == _CONNECTING:
                    raise OperationNotAllowed(
                        'Call await ws.accept() before receiving messages on a WebSocket.'
                    )
                raise WebSocketDisconnected(self._close_code)
            if self._pump is None:
                self._retained = None
                return await self._receive_directly()
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()
                try:
                    self._getters.remove(waiter)
                except ValueError:
                    pass

    async def _receive_directly(self) -> Message:
        """Read from the server when read-ahead is disabled (``max_receive_queue == 0``)."""
        while True:
            event = await self._asgi_receive()
            kind = event.get('type')
            if kind == 'websocket.receive':
                violation = self._check_incoming(event)
                if violation:
                    await self._close_for_violation(violation)
                    raise WebSocketDisconnected(violation)
                return event
            if kind == 'websocket.disconnect':
                self._peer_closed(event.get('code') or 1000)
                raise WebSocketDisconnected(self._close_code)
            if self._state != _OPEN:
                raise WebSocketDisconnected(self._close_code)

    def _check_incoming(self, event: Message) -> int:
        """The close code a just-received message calls for, or 0 if it is acceptable."""
        text = event.get('text')
        limit = self._max_message_size
        if text is not None:
            if has_lone_surrogate(text):
                return CLOSE_INVALID_PAYLOAD
            # PERF: len(text) bounds the UTF-8 size from below and 4 * len(text) from above, so
            # the exact size is only computed for messages close to the limit.
            if limit is not None and len(text) * 4 > limit:
                if len(text) > limit or len(text.encode('utf-8')) > limit:
                    return CLOSE_MESSAGE_TOO_BIG
        elif limit is not None:
            data = event.get('bytes')
            if data is not None and len(data) > limit:
                return CLOSE_MESSAGE_TOO_BIG
        return 0

    async def _close_for_violation(self, code: int) -> None:
        _logger.info(
            'Closing WebSocket %s with %s: the client sent an invalid message', self.path, code
        )
        await self.close(code)

    # ------------------------------------------------------------------ the read-ahead pump

    async def _run_pump(self) -> None:
        receive = self._asgi_receive
        buffer = self._buffer
        limit = self._max_receive_queue
        loop = asyncio.get_running_loop()
        try:
            while self._state == _OPEN:
                if len(buffer) >= limit:
                    # Backpressure: do not read from the server until the app makes room.
                    space = self._space = loop.create_future()
                    await space
                    continue
                event = await receive()
                kind = event.get('type')
                if kind == 'websocket.receive':
                    violation = self._check_incoming(event)
                    if violation:
                        self._pump = None  # close() must not cancel the task running it
                        await self._close_for_violation(violation)
                        return
                    buffer.append(event)
                    getters = self._getters
                    while getters:
                        getter = getters.popleft()
                        if not getter.done():
                            getter.set_result(None)
                            break
                elif kind == 'websocket.disconnect':
                    self._peer_closed(event.get('code') or 1000)
                    return
        except asyncio.CancelledError:
            raise
        except Exception as ex:
            _logger.warning('Reading from WebSocket %s failed: %r', self.path, ex)
            self._peer_closed(_code_from_error(ex, None))

    def _stop_pump(self) -> None:
        pump = self._pump
        if pump is not None:
            self._pump = None
            if pump is not asyncio.current_task():
                pump.cancel()

    def _wake_receivers(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.popleft()
            if not getter.done():
                getter.set_result(None)

    def _peer_closed(self, code: int) -> None:
        """The client disconnected (or the server reported the connection lost)."""
        if self._state < _CLOSING:
            self._state = _CLOSED
            self._close_code = code
        elif self._close_code is None:
            self._close_code = code
        self._stop_pump()
        self._wake_receivers()
        senders = self._senders
        if senders:
            current = asyncio.current_task()
            for task in tuple(senders):
                if task is not current and not task.done():
                    self._disconnect_cancelled.add(task)
                    task.cancel()

    # ------------------------------------------------------------------ sending

    async def send_text(self, payload: str) -> None:
        """Send a text message.

        Raises:
            TypeError: ``payload`` is not a str.
            WebSocketDisconnected: The connection is closed.
            OperationNotAllowed: The connection was not accepted yet.
        """
        if type(payload) is not str and not isinstance(payload, str):
            raise TypeError(
                f'send_text() needs a str payload, not {type(payload).__name__}; use '
                'send_data() for bytes.'
            )
        await self._send({'type': 'websocket.send', 'text': payload})

    async def send_data(self, payload: bytes | bytearray | memoryview) -> None:
        """Send a binary message.

        Raises:
            TypeError: ``payload`` is not bytes, bytearray or memoryview.
            WebSocketDisconnected: The connection is closed.
            OperationNotAllowed: The connection was not accepted yet.
        """
        if type(payload) is not bytes:
            if not isinstance(payload, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f'send_data() needs bytes, bytearray or memoryview, not '
                    f'{type(payload).__name__}; use send_text() for str.'
                )
            payload = bytes(payload)
        await self._send({'type': 'websocket.send', 'bytes': payload})

    async def send_media(self, media: object, payload_type: WebSocketPayloadType = _TEXT) -> None:
        """Serialize ``media`` with ``ws_options.media_handlers`` and send it.

        Args:
            media: The object to send.
            payload_type: ``WebSocketPayloadType.TEXT`` (JSON text frame by default) or
                ``WebSocketPayloadType.BINARY`` (MessagePack binary frame by default).
        """
        try:
            handler = self._media_handlers[payload_type]
        except KeyError:
            raise ValueError(
                f'No WebSocket media handler is registered for {payload_type!r}; register one in '
                'app.ws_options.media_handlers.'
            ) from None
        serialized = handler.serialize(media)
        if payload_type is _TEXT:
            if isinstance(serialized, (bytes, bytearray, memoryview)):
                serialized = bytes(serialized).decode('utf-8')
            await self._send({'type': 'websocket.send', 'text': serialized})
        else:
            await self._send({'type': 'websocket.send', 'bytes': bytes(serialized)})

    async def _send(self, event: Message) -> None:
        if self._state != _OPEN:
            if self._state == _CONNECTING:
                raise OperationNotAllowed(
                    'Call await ws.accept() before sending messages on a WebSocket.'
                )
            raise WebSocketDisconnected(self._close_code)
        if self._pump is None:
            # PERF: without a pump nobody can observe a disconnect while we wait, so there is
            # nothing to register for.
            try:
                await self._asgi_send(event)
            except Exception as ex:
                raise self._translate_send_error(ex) from ex
            return
        task = asyncio.current_task()
        if task is None:  # not running inside a task: nothing could cancel us anyway
            try:
                await self._asgi_send(event)
            except Exception as ex:
                raise self._translate_send_error(ex) from ex
            return
        senders = self._senders
        senders.add(task)
        try:
            await self._asgi_send(event)
        except asyncio.CancelledError:
            if self._was_cancelled_by_disconnect(task):
                raise WebSocketDisconnected(self._close_code) from None
            raise
        except Exception as ex:
            raise self._translate_send_error(ex) from ex
        finally:
            senders.discard(task)
        if self._disconnect_cancelled and self._was_cancelled_by_disconnect(task):
            # The server swallowed our cancellation; the client is gone all the same.
            raise WebSocketDisconnected(self._close_code)

    def _was_cancelled_by_disconnect(self, task: asyncio.Task[Any]) -> bool:
        """Consume a cancellation the pump requested for ``task`` (see ``_peer_closed``).

        True when the pump cancelled ``task`` because the client went away and nobody else
        cancelled it too; the caller then reports WebSocketDisconnected instead.
        """
        if task not in self._disconnect_cancelled:
            return False
        self._disconnect_cancelled.discard(task)
        if sys.version_info >= (3, 11):
            return task.uncancel() == 0
        return True

    def _translate_send_error(self, ex: Exception) -> Exception:
        if isinstance(ex, OSError):
            self._peer_closed(_code_from_error(ex, self._close_code))
            return WebSocketDisconnected(self._close_code)
        message = str(ex)
        if _NORMAL_CLOSURE_TEXT in message:
            self._peer_closed(1000)
            return WebSocketDisconnected(1000)
        if _SUBPROTOCOL_REFUSED_TEXT in message:
            # Autobahn (Daphne) refuses an unknown subprotocol with a bare Exception.
            return ValueError(
                'The server refused the WebSocket subprotocol: it must be one of those the '
                f'client offered ({self.subprotocols!r}).'
            )
        return ex


def _code_from_error(ex: BaseException, default: int | None) -> int:
    """The close code a server's send/receive error mentions, else ``default`` (or 1000)."""
    if isinstance(ex, WebSocketDisconnected) and default is None:
        # lanner's own test client raises this, with the code the client closed with.
        return ex.code
    seen: BaseException | None = ex
    for _ in range(4):  # the error itself and a few links of its cause chain
        if seen is None:
            break
        match = _RECEIVED_CODE.search(str(seen))
        if match:
            return int(match.group(1))
        seen = seen.__cause__ or seen.__context__
    return default if default is not None else 1000
