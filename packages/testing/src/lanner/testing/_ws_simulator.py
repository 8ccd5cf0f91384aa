"""The client side of a simulated WebSocket connection (``ASGIWebSocketSimulator``).

The simulator is both the test's handle on the connection (``send_text``, ``receive_json``,
``close`` ...) and the ASGI server the app talks to (``_emit`` is the app's ``receive``,
``_collect`` its ``send``).

State machine (client view):

    CONNECT --app receives websocket.connect--> HANDSHAKE
    HANDSHAKE --websocket.accept--> ACCEPTED --websocket.close / client close--> CLOSED
    HANDSHAKE --websocket.close--> DENIED

Invariants:
- Nothing busy-waits: both directions park on ``asyncio.Event`` objects, and every wait the
  test side makes is bounded (``wait_ready`` by its timeout, receives by ``timeout``).
- Messages the app sent before closing are still delivered to the test before the closure is
  reported, like a real client draining its socket.
- ASGI protocol order is enforced: sending before receiving ``websocket.connect``, sending
  anything but accept/close during the handshake, or calling ``receive()`` again after the
  disconnect was delivered raises ``OperationNotAllowed``.
"""

from __future__ import annotations

import asyncio
from collections import deque
import enum
import json
from typing import Any

from lanner.errors import (
    OperationNotAllowed,
    PayloadTypeError,
    WebSocketDisconnected,
    WebSocketHandlerNotFound,
    WebSocketPathNotFound,
    WebSocketServerError,
)

__all__ = ('ASGIWebSocketSimulator',)

_NORMAL = 1000
_SERVER_ERROR = 1011
_FORBIDDEN = 3403
_PATH_NOT_FOUND = 3404
_HANDLER_NOT_FOUND = 3405

DEFAULT_RECEIVE_TIMEOUT = 30.0


class ClientState(enum.Enum):
    """The simulated client's view of the connection (Falcon: ``helpers._WebSocketState``)."""

    CONNECT = enum.auto()
    HANDSHAKE = enum.auto()
    ACCEPTED = enum.auto()
    DENIED = enum.auto()
    CLOSED = enum.auto()


class ASGIWebSocketSimulator:
    """Simulates the client of one WebSocket connection to an ASGI app.

    Usually obtained from ``ASGIConductor.simulate_ws()``, which also runs the app. Payload
    methods require the connection to be accepted: before that they raise
    ``OperationNotAllowed``; after a denial they raise ``WebSocketPathNotFound`` (3404),
    ``WebSocketHandlerNotFound`` (3405), ``WebSocketServerError`` (1011) or
    ``WebSocketDisconnected``; after a close, ``WebSocketDisconnected``.

    Args:
        timeout: Default number of seconds the ``receive_*`` methods wait for a message before
            raising ``TimeoutError`` (default 30). A lanner addition: a test whose app never
            answers fails instead of hanging.
        handshake_timeout: Default seconds ``wait_ready()`` waits (default 5).
    """

    # The handshake wait when neither wait_ready() nor simulate_ws() names one (Falcon's 5 s).
    _DEFAULT_WAIT_READY_TIMEOUT: float = 5.0

    def __init__(
        self, timeout: float | None = None, *, handshake_timeout: float | None = None
    ) -> None:
        self._state = ClientState.CONNECT
        self._handshake_timeout = handshake_timeout
        self._disconnect_emitted = False
        self._close_code: int | None = None
        self._close_reason: str | None = None
        # Set once the app accepted; stays set when the connection closes afterwards.
        self._was_accepted = False
        self._accepted_subprotocol: str | None = None
        self._accepted_headers: list[tuple[bytes, bytes]] | None = None
        self._collected_server_events: deque[dict[str, Any]] = deque()
        self._collected_client_events: deque[dict[str, Any]] = deque()
        self._handshake_done = asyncio.Event()
        self._client_wake = asyncio.Event()
        self._app_wake = asyncio.Event()
        self._timeout = DEFAULT_RECEIVE_TIMEOUT if timeout is None else timeout
        self._msgpack: Any = None

    # ------------------------------------------------------------------ state

    @property
    def ready(self) -> bool:
        """True once the app accepted the connection and while it stays open."""
        return self._state is ClientState.ACCEPTED

    @property
    def closed(self) -> bool:
        """True once the connection was denied or closed (by either side)."""
        return self._state in (ClientState.DENIED, ClientState.CLOSED)

    @property
    def close_code(self) -> int | None:
        """The close code, once closed (``None`` while open)."""
        return self._close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason, once closed (``None`` while open)."""
        return self._close_reason

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol the app passed to ``accept()`` (``None`` if none or not accepted)."""
        return self._accepted_subprotocol

    @property
    def headers(self) -> list[tuple[bytes, bytes]] | None:
        """The headers the app passed to ``accept()`` as byte pairs (``None`` if none)."""
        return self._accepted_headers

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the app accepts or denies the connection.

        Args:
            timeout: Seconds to wait (default: the ``timeout`` given to ``simulate_ws()``,
                else 5).

        Raises:
            TimeoutError: The app neither accepted nor closed the connection in time.
            WebSocketDisconnected: The connection was denied (or one of its subclasses).
        """
        if not timeout:
            timeout = self._handshake_timeout or self._DEFAULT_WAIT_READY_TIMEOUT
        try:
            await asyncio.wait_for(self._handshake_done.wait(), timeout)
        except asyncio.TimeoutError as ex:
            # The builtin: on Python 3.10 asyncio.TimeoutError is a different class, and
            # callers (and Falcon's documentation) expect TimeoutError on every version.
            raise TimeoutError(
                f'The WebSocket handshake did not complete within {timeout} seconds: the app '
                'neither accepted nor closed the connection. Check the on_websocket responder '
                'and any process_request_ws/process_resource_ws middleware for something that '
                'waits forever before ws.accept() is called.'
            ) from ex
        if self._was_accepted:
            # The handshake completed, even if the app has closed the connection since (say, it
            # failed right after accepting): that shows on the next receive, as a disconnect.
            return
        self._require_accepted()

    # ------------------------------------------------------------------ client actions

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        """Close the connection from the client side.

        The app's next ``receive()`` gets ``websocket.disconnect`` with this code. Closing an
        already-closed connection does nothing.

        Args:
            code: Close code (default 1000).
            reason: Close reason (default ``''``).
        """
        if self.closed:
            return
        if code is None:
            code = _NORMAL
        if not isinstance(code, int) or isinstance(code, bool):
            raise TypeError(f'The close code must be an int, not {code!r}.')
        if reason is None:
            reason = ''
        self._state = ClientState.CLOSED
        self._close_code = code
        self._close_reason = reason
        self._handshake_done.set()
        self._app_wake.set()
        self._client_wake.set()
        # No yield here (as Falcon's client): the app sees the closure at its next await.

    async def send_text(self, payload: str) -> None:
        """Send a text message to the app."""
        if not isinstance(payload, str):
            raise TypeError(f'payload must be a str, not {type(payload).__name__}.')
        await self._send({'type': 'websocket.receive', 'text': payload})

    async def send_data(self, payload: bytes | bytearray | memoryview) -> None:
        """Send a binary message to the app."""
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError(
                f'payload must be bytes, bytearray or memoryview, not {type(payload).__name__}.'
            )
        await self._send({'type': 'websocket.receive', 'bytes': bytes(payload)})

    async def send_json(self, media: object) -> None:
        """Serialise ``media`` with ``json.dumps`` and send it as a text message."""
        await self.send_text(json.dumps(media))

    async def send_msgpack(self, media: object) -> None:
        """Serialise ``media`` with MessagePack and send it as a binary message."""
        await self.send_data(self._get_msgpack().packb(media, use_bin_type=True))

    async def receive_text(self, *, timeout: float | None = None) -> str:
        """Receive the next message, which must be a text message.

        Args:
            timeout: Seconds to wait (default: the simulator's timeout).

        Raises:
            PayloadTypeError: The message was binary.
            TimeoutError: No message arrived in time.
        """
        event = await self._receive(timeout, 'receive_text')
        text = event.get('text')
        if text is None:
            raise PayloadTypeError('Expected a TEXT payload but got a BINARY one instead.')
        return str(text)

    async def receive_data(self, *, timeout: float | None = None) -> bytes:
        """Receive the next message, which must be a binary message.

        Args:
            timeout: Seconds to wait (default: the simulator's timeout).

        Raises:
            PayloadTypeError: The message was text.
            TimeoutError: No message arrived in time.
        """
        event = await self._receive(timeout, 'receive_data')
        data = event.get('bytes')
        if data is None:
            raise PayloadTypeError('Expected a BINARY payload but got a TEXT one instead.')
        return bytes(data)

    async def receive_json(self, *, timeout: float | None = None) -> Any:
        """Receive a text message and decode it with ``json.loads``."""
        return json.loads(await self.receive_text(timeout=timeout))

    async def receive_msgpack(self, *, timeout: float | None = None) -> Any:
        """Receive a binary message and decode it with MessagePack."""
        data = await self.receive_data(timeout=timeout)
        return self._get_msgpack().unpackb(data, use_list=True, raw=False)

    # ------------------------------------------------------------------ internals

    def _get_msgpack(self) -> Any:
        if self._msgpack is None:
            try:
                import msgpack
            except ImportError:
                raise RuntimeError(
                    'send_msgpack()/receive_msgpack() need the msgpack package; install it '
                    'with: pip install msgpack'
                ) from None
            self._msgpack = msgpack
        return self._msgpack

    def _require_accepted(self) -> None:
        state = self._state
        if state is ClientState.ACCEPTED:
            return
        if state in (ClientState.CONNECT, ClientState.HANDSHAKE):
            raise OperationNotAllowed(
                'The WebSocket connection has not yet been accepted; await ws.wait_ready() '
                '(simulate_ws() does this for you) before sending or receiving.'
            )
        if state is ClientState.CLOSED:
            raise WebSocketDisconnected(self._close_code)
        code = self._close_code
        if code == _PATH_NOT_FOUND:
            raise WebSocketPathNotFound(code)
        if code == _HANDLER_NOT_FOUND:
            raise WebSocketHandlerNotFound(code)
        if code == _SERVER_ERROR:
            raise WebSocketServerError(code)
        raise WebSocketDisconnected(code)

    async def _send(self, event: dict[str, Any]) -> None:
        self._require_accepted()
        self._collected_client_events.append(event)
        self._app_wake.set()
        # Let the app (or its receive pump) pick the message up.
        await asyncio.sleep(0)

    async def _receive(self, timeout: float | None, method: str) -> dict[str, Any]:
        if timeout is None:
            timeout = self._timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._collected_server_events:
                return self._collected_server_events.popleft()
            self._require_accepted()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f'{method}() waited {timeout} seconds but the app sent no message and did '
                    'not close the connection. The app may be waiting for a message from the '
                    'client, or it never sends one; pass timeout= to wait longer.'
                )
            self._client_wake.clear()
            try:
                await asyncio.wait_for(self._client_wake.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _disconnect_event(self) -> dict[str, Any]:
        if self._disconnect_emitted:
            raise OperationNotAllowed(
                'The app called receive() again, but the websocket.disconnect event has '
                'already been emitted; a real ASGI server would block forever here. Stop '
                'receiving once WebSocketDisconnected is raised.'
            )
        self._disconnect_emitted = True
        code = self._close_code if self._close_code is not None else _NORMAL
        return {'type': 'websocket.disconnect', 'code': code, 'reason': self._close_reason or ''}

    async def _emit(self) -> dict[str, Any]:
        """The app's ``receive`` callable."""
        if self._state is ClientState.CONNECT:
            self._state = ClientState.HANDSHAKE
            return {'type': 'websocket.connect'}
        while True:
            if self._collected_client_events:
                return self._collected_client_events.popleft()
            if self.closed:
                return self._disconnect_event()
            self._app_wake.clear()
            await self._app_wake.wait()

    async def _collect(self, event: dict[str, Any]) -> None:
        """The app's ``send`` callable."""
        event_type = event.get('type') if isinstance(event, dict) else None
        if not isinstance(event_type, str):
            raise TypeError(f'An ASGI event must be a dict with a str "type", got {event!r}.')
        state = self._state
        if state is ClientState.CONNECT:
            raise OperationNotAllowed(
                'An ASGI app must receive the first websocket.connect event before sending any '
                f'event (it sent {event_type!r}).'
            )
        if state is ClientState.HANDSHAKE:
            if event_type == 'websocket.accept':
                self._accept(event)
            elif event_type == 'websocket.close':
                self._deny(event)
            else:
                raise OperationNotAllowed(
                    'During the handshake an ASGI app must send websocket.accept or '
                    'websocket.close before sending any other event types (it sent '
                    f'{event_type!r}).'
                )
        elif state is ClientState.ACCEPTED:
            if event_type == 'websocket.close':
                self._state = ClientState.CLOSED
                self._close_code = _close_code(event)
                reason = event.get('reason')
                self._close_reason = reason if isinstance(reason, str) else ''
                self._app_wake.set()
            elif event_type == 'websocket.send':
                self._collected_server_events.append(_checked_message(event))
            else:
                raise ValueError(
                    f'Invalid ASGI event type {event_type!r} for an accepted WebSocket; '
                    'expected websocket.send or websocket.close.'
                )
        else:
            # ASGI WebSocket spec 2.4: a send after the client disconnected raises an OSError.
            raise WebSocketDisconnected(self._close_code)
        self._client_wake.set()
        # Give whatever waits on the handshake or on a message a chance to run.
        await asyncio.sleep(0)

    def _accept(self, event: dict[str, Any]) -> None:
        subprotocol = event.get('subprotocol')
        if subprotocol is not None and not isinstance(subprotocol, str):
            raise TypeError(f'websocket.accept subprotocol must be a str, not {subprotocol!r}.')
        raw_headers = event.get('headers')
        headers: list[tuple[bytes, bytes]] | None = None
        if raw_headers is not None:
            headers = []
            for name, value in raw_headers:
                if not isinstance(name, bytes) or not isinstance(value, bytes):
                    raise TypeError(
                        'websocket.accept header names and values must be bytes, got '
                        f'{name!r}: {value!r}.'
                    )
                headers.append((name, value))
        self._state = ClientState.ACCEPTED
        self._accepted_subprotocol = subprotocol
        self._accepted_headers = headers
        self._was_accepted = True
        self._handshake_done.set()

    def _deny(self, event: dict[str, Any]) -> None:
        self._state = ClientState.DENIED
        code = _close_code(event)
        reason = event.get('reason')
        if code == _SERVER_ERROR or 3000 <= code < 4000:
            # lanner uses these codes to say why it denied the handshake; keep them.
            self._close_code = code
            self._close_reason = reason if isinstance(reason, str) else ''
        else:
            # A server answers a close during the handshake with HTTP 403.
            self._close_code = _FORBIDDEN
            self._close_reason = 'Forbidden'
        self._handshake_done.set()
        self._app_wake.set()


def _close_code(event: dict[str, Any]) -> int:
    code = event.get('code', _NORMAL)
    if code is None:
        return _NORMAL
    if not isinstance(code, int) or isinstance(code, bool):
        raise TypeError(f'websocket.close code must be an int, not {code!r}.')
    return code


def _checked_message(event: dict[str, Any]) -> dict[str, Any]:
    text = event.get('text')
    data = event.get('bytes')
    if (text is None) == (data is None):
        raise ValueError(
            'A websocket.send event must carry exactly one of "text" (str) or "bytes" (bytes).'
        )
    if text is not None and not isinstance(text, str):
        raise TypeError(f'websocket.send "text" must be a str, not {type(text).__name__}.')
    if data is not None and not isinstance(data, bytes):
        raise TypeError(f'websocket.send "bytes" must be bytes, not {type(data).__name__}.')
    return event
