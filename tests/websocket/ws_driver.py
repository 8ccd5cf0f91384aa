"""A small in-memory WebSocket client that drives an ASGI app's ``websocket`` scope.

lanner-websocket's tests must pass with only lanner-core and lanner-websocket installed, so they
cannot use ``lanner.testing``. This driver plays the ASGI server: it feeds ``websocket.connect``
/ ``websocket.receive`` / ``websocket.disconnect`` events to the app and records what the app
sends, enforcing the protocol order a real server enforces (nothing after ``websocket.close``,
``websocket.send`` only after ``websocket.accept``).

Every wait is bounded (``timeout``), so a broken app fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
import json
from typing import Any

_DEFAULT_TIMEOUT = 2.0


class ProtocolViolation(AssertionError):
    """The app broke the ASGI WebSocket protocol (e.g. sent after close)."""


class AppClosed(Exception):
    """The app closed the connection (or denied the handshake) while the client waited."""

    def __init__(self, code: int, reason: str | None) -> None:
        super().__init__(f'closed by the app with {code} ({reason!r})')
        self.code = code
        self.reason = reason


class ClientDisconnected(OSError):
    """What this fake server raises for a send after the client went away (like uvicorn)."""


def build_ws_scope(
    path: str = '/',
    query_string: str = '',
    headers: Iterable[tuple[str, str]] | dict[str, str] | None = None,
    subprotocols: Iterable[str] | None = None,
    spec_version: str = '2.3',
    client: tuple[str, int] | None = ('127.0.0.1', 51000),
    http_version: str = '1.1',
) -> dict[str, Any]:
    items = list(headers.items() if isinstance(headers, dict) else (headers or ()))
    if not any(k.lower() == 'host' for k, _ in items):
        items.insert(0, ('host', 'falconframework.org'))
    scope: dict[str, Any] = {
        'type': 'websocket',
        'asgi': {'version': '3.0', 'spec_version': spec_version},
        'http_version': http_version,
        'scheme': 'ws',
        'server': ('falconframework.org', 80),
        'path': path,
        'raw_path': path.encode('utf-8'),
        'query_string': query_string.encode('latin-1'),
        'root_path': '',
        'headers': [(k.lower().encode('latin-1'), v.encode('latin-1')) for k, v in items],
        'subprotocols': list(subprotocols or ()),
    }
    if client is not None:
        scope['client'] = client
    return scope


class WSDriver:
    """Client side of one simulated connection. Use as ``async with WSDriver(app, '/x') as c``.

    Args:
        app: The ASGI callable.
        path, query_string, headers, subprotocols, spec_version: Build the scope.
        scope: A complete scope instead (overrides the above).
        first_event: What the app receives first (default ``websocket.connect``).
        timeout: Bound for every wait.
    """

    def __init__(
        self,
        app: Callable[..., Any],
        path: str = '/',
        *,
        query_string: str = '',
        headers: Iterable[tuple[str, str]] | dict[str, str] | None = None,
        subprotocols: Iterable[str] | None = None,
        spec_version: str = '2.3',
        scope: dict[str, Any] | None = None,
        first_event: dict[str, Any] | None = None,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> None:
        self.app = app
        self.scope = scope or build_ws_scope(
            path, query_string, headers, subprotocols, spec_version=spec_version
        )
        self.timeout = timeout
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._to_app.put_nowait(first_event or {'type': 'websocket.connect'})
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []  # everything the app sent, in order
        self.receive_calls = 0  # how many times the app called receive()
        self.accepted = False
        self.accept_event: dict[str, Any] | None = None
        self.close_event: dict[str, Any] | None = None
        self.client_gone = False
        self.violations: list[str] = []
        # When cleared, the app's websocket.send blocks (a slow or stuck network).
        self.send_gate = asyncio.Event()
        self.send_gate.set()
        self._state_changed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ the server side

    async def _receive(self) -> dict[str, Any]:
        self.receive_calls += 1
        return await self._to_app.get()

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message.get('type')
        if self.close_event is not None:
            self.violations.append(f'{kind} after websocket.close')
            raise ProtocolViolation(f'The app sent {kind!r} after websocket.close')
        if kind == 'websocket.accept':
            if self.client_gone:
                raise ClientDisconnected('the client is gone')
            if self.accepted:
                self.violations.append('second websocket.accept')
                raise ProtocolViolation('The app accepted twice')
            self.accepted = True
            self.accept_event = message
        elif kind == 'websocket.send':
            if not self.accepted:
                self.violations.append('websocket.send before websocket.accept')
                raise ProtocolViolation('The app sent a message before accepting')
            has_text = message.get('text') is not None
            has_bytes = message.get('bytes') is not None
            if has_text == has_bytes:
                self.violations.append('websocket.send without exactly one payload')
                raise ProtocolViolation('websocket.send needs exactly one of text/bytes')
            if not self.send_gate.is_set():
                await self.send_gate.wait()
            if self.client_gone:
                raise ClientDisconnected('the client is gone')
        elif kind == 'websocket.close':
            self.close_event = message
            # A real server then reports the disconnect to a later receive() (uvicorn does).
            self._to_app.put_nowait({'type': 'websocket.disconnect', 'code': message.get('code')})
        else:
            self.violations.append(f'unexpected {kind}')
            raise ProtocolViolation(f'unexpected ASGI message {kind!r}')
        self.sent.append(message)
        self._from_app.put_nowait(message)
        self._state_changed.set()

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> WSDriver:
        self.task = asyncio.get_running_loop().create_task(
            self.app(self.scope, self._receive, self._send)
        )
        self.task.add_done_callback(lambda _t: self._state_changed.set())
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self.task is not None
        if not self.task.done():
            if not self.client_gone and self.close_event is None:
                await self.disconnect(1000)
            try:
                await asyncio.wait_for(asyncio.shield(self.task), self.timeout)
            except asyncio.TimeoutError:
                self.task.cancel()
                raise AssertionError('The app did not finish after the client left') from None
        if exc_info[0] is None:
            # Surface errors the app raised to the "server" and protocol violations.
            self.task.result()
            assert not self.violations, self.violations

    async def finished(self) -> None:
        """Wait for the app's ASGI call to return (and re-raise what it raised)."""
        assert self.task is not None
        await asyncio.wait_for(asyncio.shield(self.task), self.timeout)

    async def wait_accepted(self) -> bool:
        """True once accepted; False if the app closed (denied) or returned first."""

        async def until() -> None:
            while not (self.accepted or self.close_event is not None or self.task.done()):  # type: ignore[union-attr]
                self._state_changed.clear()
                await self._state_changed.wait()

        await asyncio.wait_for(until(), self.timeout)
        return self.accepted

    async def wait_closed(self) -> dict[str, Any]:
        """Wait for the app's websocket.close and return it."""

        async def until() -> None:
            while self.close_event is None and not self.task.done():  # type: ignore[union-attr]
                self._state_changed.clear()
                await self._state_changed.wait()

        await asyncio.wait_for(until(), self.timeout)
        if self.close_event is None:
            await self.finished()
            raise AssertionError('The app returned without sending websocket.close')
        return self.close_event

    @property
    def close_code(self) -> int | None:
        return None if self.close_event is None else self.close_event.get('code', 1000)

    @property
    def close_reason(self) -> str | None:
        return None if self.close_event is None else self.close_event.get('reason')

    # ------------------------------------------------------------------ client -> app

    def push(self, event: dict[str, Any]) -> None:
        self._to_app.put_nowait(event)

    async def send_text(self, text: str) -> None:
        self.push({'type': 'websocket.receive', 'text': text})
        await asyncio.sleep(0)

    async def send_bytes(self, data: bytes) -> None:
        self.push({'type': 'websocket.receive', 'bytes': data})
        await asyncio.sleep(0)

    async def send_json(self, obj: Any) -> None:
        await self.send_text(json.dumps(obj))

    async def send_msgpack(self, obj: Any) -> None:
        import msgpack

        await self.send_bytes(msgpack.packb(obj, use_bin_type=True))

    async def disconnect(self, code: int = 1000) -> None:
        """The client goes away (it sends a close frame or the TCP connection drops)."""
        self.client_gone = True
        self.push({'type': 'websocket.disconnect', 'code': code})
        await asyncio.sleep(0)

    # ------------------------------------------------------------------ app -> client

    async def receive(self) -> dict[str, Any]:
        """The next websocket.send from the app; AppClosed if the app closes instead."""
        while True:
            message = await asyncio.wait_for(self._from_app.get(), self.timeout)
            kind = message['type']
            if kind == 'websocket.send':
                return message
            if kind == 'websocket.close':
                raise AppClosed(message.get('code', 1000), message.get('reason'))

    async def receive_text(self) -> str:
        message = await self.receive()
        assert message.get('text') is not None, f'expected text, got {message!r}'
        return str(message['text'])

    async def receive_bytes(self) -> bytes:
        message = await self.receive()
        assert message.get('bytes') is not None, f'expected bytes, got {message!r}'
        return bytes(message['bytes'])

    async def receive_json(self) -> Any:
        return json.loads(await self.receive_text())

    async def receive_msgpack(self) -> Any:
        import msgpack

        return msgpack.unpackb(await self.receive_bytes(), raw=False)
