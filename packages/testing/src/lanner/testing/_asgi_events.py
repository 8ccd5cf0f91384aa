"""Simulated ASGI server callables: ``receive`` emitters and a validating ``send`` collector.

Invariants:
- An emitter never busy-waits: when it has nothing to hand out it parks on an ``asyncio.Event``
  (or an ``asyncio.Condition``) until the simulated client changes state or a deadline passes.
- The collector validates every event the app sends (types, header syntax, protocol order), so
  an app that would confuse a real server fails loudly in tests instead.
- Once the simulated client has gone (``_stop_collecting``), the collector stops recording and
  parks the sending task; the driver in ``_simulate`` then cancels it. This is what bounds an
  app that streams forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
import re
import time
from typing import Any

__all__ = (
    'ASGILifespanEventEmitter',
    'ASGIRequestEventEmitter',
    'ASGIResponseEventCollector',
)

_DEFAULT_CHUNK_SIZE = 4096
_DEFAULT_DISCONNECT_AFTER = 30.0

# Token characters of RFC 9110 field names, lower-case only (ASGI requires lower-case names).
_HEADER_NAME_RE = re.compile(rb"[a-z0-9!#$%&'*+\-.^_`|~]+")
# Like wsgiref.validate: no control characters at all (this also rejects CR, LF and NUL).
_BAD_HEADER_VALUE_RE = re.compile(rb'[\x00-\x1f\x7f]')

_LIFESPAN_RESPONSES = frozenset(
    (
        'lifespan.startup.complete',
        'lifespan.startup.failed',
        'lifespan.shutdown.complete',
        'lifespan.shutdown.failed',
    )
)


class ASGIRequestEventEmitter:
    """A simulated ASGI ``receive`` callable for one HTTP request.

    It hands the request body to the app in ``http.request`` events of at most ``chunk_size``
    bytes, deliberately interleaving empty events (``more_body=True``) so that apps are tested
    against a server that sends them. Once the body has been emitted, further calls wait until
    the client "disconnects" and then return ``http.disconnect``.

    Args:
        body: The request body (``str`` is encoded as UTF-8). ``None`` means no body.
        chunk_size: Maximum body bytes per event (default 4096).
        disconnect_at: When the simulated client disconnects, as a ``time.time()`` timestamp.
            ``None`` means 30 seconds from now; ``0`` means immediately, before any
            ``http.request`` event is emitted.
    """

    def __init__(
        self,
        body: str | bytes | None = None,
        chunk_size: int | None = None,
        disconnect_at: float | None = None,
    ) -> None:
        if body is None:
            body = b''
        elif isinstance(body, str):
            body = body.encode('utf-8')
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        elif not isinstance(body, bytes):
            raise TypeError(
                f'body must be str or bytes, not {type(body).__name__}; '
                'serialise other objects first (or use json=/msgpack= with simulate_request).'
            )
        if chunk_size is None:
            chunk_size = _DEFAULT_CHUNK_SIZE
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
            raise ValueError(f'chunk_size must be a positive int, not {chunk_size!r}.')
        if disconnect_at is None:
            disconnect_at = time.time() + _DEFAULT_DISCONNECT_AFTER

        self._disconnect_at = disconnect_at
        self._immediate = disconnect_at == 0
        self._explicit_disconnect = False
        self._pending: list[dict[str, Any]] = self._build_events(body, chunk_size)
        self._emitted = 0
        self._wake = asyncio.Event()

    @staticmethod
    def _build_events(body: bytes, chunk_size: int) -> list[dict[str, Any]]:
        if not body:
            return [{'type': 'http.request', 'body': b'', 'more_body': False}]
        chunks = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)]
        events: list[dict[str, Any]] = []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            events.append({'type': 'http.request', 'body': chunk, 'more_body': not last})
            if not last:
                # Servers may send empty events mid-body; apps must not treat them as EOF.
                events.append({'type': 'http.request', 'body': b'', 'more_body': True})
        return events

    @property
    def disconnected(self) -> bool:
        """Whether the simulated client has disconnected (explicitly or by the deadline)."""
        return self._explicit_disconnect or self._immediate or time.time() >= self._disconnect_at

    def disconnect(self, exhaust_body: bool | None = None) -> None:
        """Make the simulated client disconnect.

        Args:
            exhaust_body: ``False`` discards any body not yet emitted, so ``http.disconnect``
                comes next. The default (``None`` or ``True``) still emits the rest of the body
                first.
        """
        if exhaust_body is False:
            self._pending.clear()
        self._explicit_disconnect = True
        self._wake.set()

    async def emit(self) -> dict[str, Any]:
        """Return the next ASGI event for the app (the ``receive`` callable)."""
        # Yield once: apps must not assume that receive() completes synchronously.
        await asyncio.sleep(0)
        if self._immediate or time.time() >= self._disconnect_at:
            self._pending.clear()
            return {'type': 'http.disconnect'}
        if self._pending:
            self._emitted += 1
            return self._pending.pop(0)
        while not self._explicit_disconnect:
            remaining = self._disconnect_at - time.time()
            if remaining <= 0:
                break
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except asyncio.TimeoutError:
                break
        return {'type': 'http.disconnect'}

    __call__ = emit


class ASGILifespanEventEmitter:
    """A simulated ASGI ``receive`` callable for the lifespan scope.

    Emits ``lifespan.startup``, then one non-standard event (apps must ignore unknown events),
    then waits until ``shutting_down`` is notified and emits ``lifespan.shutdown``.

    Args:
        shutting_down: Notify this condition to let the shutdown event through.
    """

    def __init__(self, shutting_down: asyncio.Condition) -> None:
        self._shutting_down = shutting_down
        self._step = 0
        self._parked = asyncio.Event()

    @property
    def waiting_for_shutdown(self) -> bool:
        """Whether the app is parked in ``receive()`` waiting for the shutdown event."""
        return self._parked.is_set()

    async def emit(self) -> dict[str, Any]:
        """Return the next lifespan event for the app (the ``receive`` callable).

        The first two events come without yielding to the loop (as Falcon's emitter): a test may
        yield once and expect the app's startup reply to be there already.
        """
        step = self._step
        if step == 0:
            self._step = 1
            return {'type': 'lifespan.startup'}
        if step == 1:
            self._step = 2
            return {'type': 'lifespan.lanner.testing.unknown'}
        if step == 2:
            async with self._shutting_down:
                self._parked.set()
                await self._shutting_down.wait()
            self._step = 3
            return {'type': 'lifespan.shutdown'}
        # A real server sends nothing after lifespan.shutdown; wait until cancelled.
        await asyncio.Event().wait()
        raise AssertionError('unreachable')  # pragma: no cover

    __call__ = emit


class ASGIResponseEventCollector:
    """A simulated ASGI ``send`` callable that validates and records what the app sends.

    Accepts ``http.response.start``, ``http.response.body`` and the four lifespan responses.
    Raises ``TypeError`` or ``ValueError`` for anything a strict server would reject:
    non-``str`` event types, unknown event types, non-``int`` status, header names or values
    that are not bytes, header names that are not lower-case tokens, control characters
    (including CR, LF and NUL) in header values, non-bytes bodies, non-``bool`` ``more_body``,
    and events out of order (a body before the start, anything after the final body).

    Attributes:
        events: Every accepted event, in order.
        headers: Response headers as decoded ``(name, value)`` string pairs.
        status: The response status code (``None`` until the start event).
        body_chunks: The non-empty body chunks.
        more_body: The ``more_body`` flag of the last body event.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.headers: list[tuple[str, str]] = []
        self.status: int | None = None
        self.body_chunks: list[bytes] = []
        self.more_body: bool | None = None

        # Driver hooks (see lanner.testing._simulate); None/False unless a driver sets them.
        self._changed = asyncio.Event()
        self._parked = asyncio.Event()
        self._stop_reason: str | None = None
        self._max_body: int | None = None
        self._body_bytes = 0
        self._complete = False
        self._high_water: int | None = None
        self._buffered = 0
        self._drained = asyncio.Event()
        # Called once the response has started (the simulated client may decide to leave).
        self._on_start: Callable[[], None] | None = None

    async def collect(self, event: dict[str, Any]) -> None:
        """Validate and record one event (the ``send`` callable)."""
        event_type = event.get('type') if isinstance(event, dict) else None
        if isinstance(event_type, str) and event_type in _LIFESPAN_RESPONSES:
            # Recorded at once (as Falcon's collector does): a lifespan test may yield to the
            # app once and expect its startup reply to be there.
            self.events.append(event)
            self._changed.set()
            return
        # Yield once: apps must not assume that send() completes synchronously.
        await asyncio.sleep(0)
        if self._stop_reason is not None:
            await self._park()
        if not isinstance(event_type, str):
            raise TypeError(f'An ASGI event must be a dict with a str "type", got {event!r}.')
        if event_type == 'http.response.start':
            self._collect_start(event)
        elif event_type == 'http.response.body':
            if not self._collect_body(event):
                return
            if self._max_body is not None and self._body_bytes > self._max_body:
                self._stop_reason = 'overflow'
                await self._park()
            while self._high_water is not None and self._buffered > self._high_water:
                # Backpressure for streamed results: wait until the test reads.
                self._drained.clear()
                await self._drained.wait()
                if self._stop_reason is not None:
                    await self._park()
        elif event_type not in _LIFESPAN_RESPONSES:
            raise ValueError(
                f'Invalid ASGI event type {event_type!r} for this scope; expected '
                'http.response.start, http.response.body or a lifespan response.'
            )
        self.events.append(event)
        self._changed.set()

    __call__ = collect

    def _collect_start(self, event: dict[str, Any]) -> None:
        if self.status is not None:
            raise ValueError(
                'ASGI protocol violation: http.response.start was sent twice for one request.'
            )
        status = event.get('status')
        if not isinstance(status, int) or isinstance(status, bool):
            raise TypeError(f'The ASGI response status must be an int, not {status!r}.')
        headers: list[tuple[str, str]] = []
        raw_headers: Iterable[Any] = event.get('headers') or ()
        for pair in raw_headers:
            name, value = pair
            if not isinstance(name, bytes) or not isinstance(value, bytes):
                raise TypeError(
                    f'ASGI header names and values must be bytes, got {name!r}: {value!r}.'
                )
            if not _HEADER_NAME_RE.fullmatch(name):
                if name.lower() != name and _HEADER_NAME_RE.fullmatch(name.lower()):
                    raise ValueError(f'ASGI header names must be lower-case, got {name!r}.')
                raise ValueError(f'Bad header name {name!r}: expected an RFC 9110 token.')
            if _BAD_HEADER_VALUE_RE.search(value):
                raise ValueError(
                    f'Bad value for header {name.decode()!r}: {value!r} contains a control '
                    'character (CR, LF, NUL, ...).'
                )
            headers.append((name.decode('ascii'), value.decode('latin-1')))
        self.headers.extend(headers)
        self.status = status
        if self._on_start is not None:
            self._on_start()

    def _collect_body(self, event: dict[str, Any]) -> bool:
        """Record a body event; False for one sent after the final body (ignored)."""
        chunk = event.get('body', b'')
        if not isinstance(chunk, bytes):
            raise TypeError(f'An ASGI response body must be bytes, not {type(chunk).__name__}.')
        more_body = event.get('more_body', False)
        if not isinstance(more_body, bool):
            raise TypeError(f'The ASGI more_body flag must be a bool, not {more_body!r}.')
        if self.status is None:
            raise ValueError(
                'ASGI protocol violation: http.response.body was sent before http.response.start.'
            )
        if self._complete:
            # Ignored, as a server does once the response is complete (and Falcon's collector).
            return False
        if chunk:
            self.body_chunks.append(chunk)
            self._body_bytes += len(chunk)
            self._buffered += len(chunk)
        self.more_body = more_body
        self._complete = not more_body
        return True

    # ------------------------------------------------------------------ driver hooks

    def _stop_collecting(self, reason: str) -> None:
        """The simulated client went away: park (rather than record) any further send."""
        if self._stop_reason is None:
            self._stop_reason = reason
        self._drained.set()

    def _consumed(self, size: int) -> None:
        """A streamed-result reader took ``size`` buffered bytes."""
        self._buffered -= size
        self._drained.set()

    async def _park(self) -> None:
        self._parked.set()
        self._changed.set()
        # Never resumes: the driver cancels the app task once it sees the parked flag.
        await asyncio.Event().wait()
