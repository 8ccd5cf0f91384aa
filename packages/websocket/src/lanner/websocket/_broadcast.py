"""Fan-out of one message to many WebSocket connections (chat rooms, live feeds).

Invariants:
- A broadcast serializes its message once and sends it to every member concurrently.
- It never waits longer than ``send_timeout`` for any member: a member whose send has not
  finished by then is too slow; it is dropped (removed and closed in the background with
  ``slow_close_code``), and the others are not held up by it.
- A member whose send fails (the client is gone, or any other error) is dropped as well; one bad
  connection never makes a broadcast raise.
- Membership changes during a broadcast are safe: each broadcast works on a snapshot.

With ``channels`` (any ``lanner.typing.PubSubChannels``, e.g. ``lanner.channels.Channels``), a
broadcast is *published* on the channel instead, and a pump task of each process (running while
the process has members) feeds every event it receives to its local members with the same
rules. Every process therefore delivers every broadcast exactly once. When the channel reports
a gap (the shared backend's connection dropped, or the pump fell too far behind), the members
may have missed messages: each is closed with ``gap_close_code`` (1012, Service Restart, by
default) so that clients reconnect and resynchronise instead of silently missing messages.

Replay (``add(ws, last_id=...)``, channels only): a client that reconnects with the id of the last
event it saw gets exactly the events after it, in order, then live ones. Invariants:
- A joining member is not in the live set yet: it reads its own ``channels.subscribe(channel,
  last_id=...)`` (replay, then live) in a catch-up task, while the pump appends every event it
  sees to the member's buffer instead of sending it.
- Both streams are in id order and exactly-once, so the first event the catch-up subscription
  yields that is also in the buffer is where they meet: the buffered events up to it are
  dropped, the ones after it are sent, and the member joins the live set with no ``await``
  between the last buffer check and the join. No event is lost or sent twice; ids are only
  compared for equality (their order is the provider's business).
- A gap on either subscription closes the joining member with ``gap_close_code``; the client
  reconnects with the last id it got.
- With ``event_id_field``, every JSON object a broadcast sends carries its channel event id under
  that key (spliced into the serialized text once per event, not once per member).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
import itertools
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any, NamedTuple

from lanner.errors import OperationNotAllowed, WebSocketDisconnected

if TYPE_CHECKING:
    from lanner.typing import PubSubChannels
    from lanner.websocket._connection import WebSocket

__all__ = ('BroadcastResult', 'Broadcaster')

_logger = logging.getLogger('lanner')

# Channel message: kind (b't' text, b'j' text holding a JSON object, b'b' binary), the publishing
# Broadcaster's origin token, the excluded member's local number (or '-'), a newline, then the
# payload.
_TEXT, _JSON, _BINARY = b't', b'j', b'b'


class BroadcastResult(NamedTuple):
    """What one broadcast achieved."""

    sent: int
    """Members the message was handed to."""
    dropped: int
    """Members removed because they were closed, failed or were too slow."""


class Broadcaster:
    """A set of accepted WebSocket connections that messages can be broadcast to.

    Typical use in a chat resource::

        room = Broadcaster()

        async def on_websocket(self, req, ws):
            await ws.accept()
            with room.joined(ws):
                async for text in ...:  # e.g. while True: text = await ws.receive_text()
                    await room.broadcast_text(text)

    Args:
        send_timeout: Seconds a single member may take to accept a message before it is
            considered too slow and dropped.
        slow_close_code: Close code sent to members dropped for being too slow (1008, Policy
            Violation, by default).
        close_timeout: Seconds allowed for closing a dropped member in the background.
        channels: Publish broadcasts through these channels (``lanner.channels.Channels`` or
            any ``lanner.typing.PubSubChannels``) so that members of every worker process
            receive them (the ``broadcast_*`` methods then return ``BroadcastResult(0, 0)``:
            delivery happens afterwards, in each process). Default: this process only.
        channel: The channel name used with ``channels``.
        gap_close_code: Close code sent to every member when the channel reports that messages
            may have been missed (1012, Service Restart: reconnect and resynchronise).
        event_id_field: With ``channels``: every JSON object sent by :meth:`broadcast_json`
            reaches the members with its channel event id added under this key (first key), so
            a client can reconnect with the last id it saw (see :meth:`add`). Other messages
            are sent unchanged. Default: no id is added.
    """

    __slots__ = (
        '_channels',
        '_closing',
        '_id_prefix',
        '_joining',
        '_members',
        '_numbers',
        '_origin',
        '_pump',
        'channel',
        'close_timeout',
        'event_id_field',
        'gap_close_code',
        'send_timeout',
        'slow_close_code',
    )

    def __init__(
        self,
        *,
        send_timeout: float = 5.0,
        slow_close_code: int = 1008,
        close_timeout: float = 5.0,
        channels: PubSubChannels | None = None,
        channel: str = 'broadcast',
        gap_close_code: int = 1012,
        event_id_field: str | None = None,
    ) -> None:
        if not send_timeout > 0:
            raise ValueError(
                f'send_timeout must be a positive number of seconds, not {send_timeout!r}.'
            )
        if not close_timeout > 0:
            raise ValueError(
                f'close_timeout must be a positive number of seconds, not {close_timeout!r}.'
            )
        from lanner.websocket._checks import check_close_code

        self.send_timeout = send_timeout
        self.slow_close_code = check_close_code(slow_close_code)
        self.close_timeout = close_timeout
        self.gap_close_code = check_close_code(gap_close_code)
        if channels is not None and not callable(getattr(channels, 'subscribe', None)):
            raise TypeError(
                f'channels must be a pub/sub object such as lanner.channels.Channels, not '
                f'{type(channels).__name__}.'
            )
        if event_id_field is not None:
            if channels is None:
                raise ValueError(
                    'event_id_field needs channels=...: event ids come from the channel.'
                )
            if not isinstance(event_id_field, str) or not event_id_field:
                raise ValueError(f'event_id_field must be a non-empty str, not {event_id_field!r}.')
        self._channels = channels
        self.channel = channel
        self.event_id_field = event_id_field
        # '{"<field>":' once, so stamping an event costs one concatenation.
        self._id_prefix = None if event_id_field is None else '{' + json.dumps(event_id_field) + ':'
        # Members still catching up (replay): their buffer of pump events and their task.
        self._joining: dict[WebSocket, _Joining] = {}
        # dict, not set: iteration follows join order, which keeps delivery order predictable.
        # The value is the member's local number (names it in a channel message's exclude).
        self._members: dict[WebSocket, int] = {}
        self._numbers = itertools.count()
        self._origin = secrets.token_hex(4).encode()
        self._pump: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ membership

    def add(self, ws: WebSocket, *, last_id: str | None = None) -> None:
        """Add an accepted connection (a closed one is ignored).

        Args:
            ws: The connection.
            last_id: With ``channels`` only: the id of the last event this client received
                (e.g. from a previous connection, see ``event_id_field``). The member first
                gets exactly the retained events published after it, in order, then live
                ones, each once. Validate client-supplied ids before (the provider decides
                what an id is; ``lanner.channels.Channels.is_event_id``): an unknown id
                replays every retained event. If the replay cannot be completed (the channel
                reports a gap), the member is closed with ``gap_close_code``.

        Raises:
            OperationNotAllowed: ``ws`` has not been accepted yet, or ``last_id`` was given
                without ``channels``.
        """
        if ws.unaccepted:
            raise OperationNotAllowed(
                'Only accepted WebSocket connections can join a Broadcaster; call '
                'await ws.accept() first.'
            )
        if last_id is not None:
            if self._channels is None:
                raise OperationNotAllowed(
                    'add(ws, last_id=...) replays from the channel; create the Broadcaster '
                    'with channels=... (e.g. lanner.channels.Channels) to use it.'
                )
            if not isinstance(last_id, str):
                raise TypeError(f'last_id must be a str or None, not {type(last_id).__name__}.')
        if ws.closed or ws in self._members or ws in self._joining:
            return
        number = next(self._numbers)
        if self._channels is not None and self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._run_pump())
        if last_id is None:
            self._members[ws] = number
            return
        joining = _Joining(number)
        self._joining[ws] = joining
        joining.task = asyncio.get_running_loop().create_task(self._catch_up(ws, last_id, joining))

    def discard(self, ws: WebSocket) -> None:
        """Remove ``ws`` if it is a member (a replay still running for it is stopped)."""
        self._members.pop(ws, None)
        joining = self._joining.pop(ws, None)
        if joining is not None and joining.task is not None:
            if joining.task is not asyncio.current_task():
                joining.task.cancel()
        self._release_pump()

    def _release_pump(self) -> None:
        if not self._members and not self._joining and self._pump is not None:
            # The last member left: release the channel subscription.
            if self._pump is not asyncio.current_task():
                self._pump.cancel()
            self._pump = None

    @contextmanager
    def joined(self, ws: WebSocket, *, last_id: str | None = None) -> Iterator[WebSocket]:
        """``with broadcaster.joined(ws):`` — membership for the duration of the block.

        ``last_id`` replays the events after it first (see :meth:`add`).
        """
        self.add(ws, last_id=last_id)
        try:
            yield ws
        finally:
            self.discard(ws)

    def __contains__(self, ws: object) -> bool:
        return ws in self._members or ws in self._joining

    def __len__(self) -> int:
        return len(self._members) + len(self._joining)

    def __iter__(self) -> Iterator[WebSocket]:
        return iter((*self._members, *self._joining))

    def __repr__(self) -> str:
        return f'<Broadcaster members={len(self._members)} send_timeout={self.send_timeout}>'

    # ------------------------------------------------------------------ broadcasting

    async def broadcast_text(
        self, payload: str, *, exclude: WebSocket | None = None
    ) -> BroadcastResult:
        """Send a text message to every member (except ``exclude``)."""
        if not isinstance(payload, str):
            raise TypeError(f'broadcast_text() needs a str, not {type(payload).__name__}.')
        return await self._broadcast('send_text', payload, exclude)

    async def broadcast_data(
        self, payload: bytes | bytearray | memoryview, *, exclude: WebSocket | None = None
    ) -> BroadcastResult:
        """Send a binary message to every member (except ``exclude``)."""
        if not isinstance(payload, (bytes, bytearray, memoryview)):
            raise TypeError(
                f'broadcast_data() needs bytes, bytearray or memoryview, not '
                f'{type(payload).__name__}.'
            )
        return await self._broadcast('send_data', bytes(payload), exclude)

    async def broadcast_json(
        self, obj: object, *, exclude: WebSocket | None = None
    ) -> BroadcastResult:
        """Serialize ``obj`` as JSON once and send it as text to every member."""
        from lanner.websocket._conveniences import shared_handler

        text = shared_handler('json').serialize(obj)
        if self._channels is not None and isinstance(obj, dict):
            return await self._publish('send_json', text, exclude)
        return await self._broadcast('send_text', text, exclude)

    async def broadcast_msgpack(
        self, obj: object, *, exclude: WebSocket | None = None
    ) -> BroadcastResult:
        """Pack ``obj`` as MessagePack once and send it as binary to every member."""
        from lanner.websocket._conveniences import shared_handler

        data = bytes(shared_handler('msgpack').serialize(obj))
        return await self._broadcast('send_data', data, exclude)

    async def close_all(self, code: int = 1001, reason: str | None = None) -> None:
        """Close every member (1001, Going Away, by default) and empty the set."""
        joining = self._joining
        members = (*self._members, *joining)
        for entry in joining.values():
            if entry.task is not None and entry.task is not asyncio.current_task():
                entry.task.cancel()
        self._members.clear()
        joining.clear()
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
        self._pump = None
        if members:
            await asyncio.gather(
                *(self._close_quietly(ws, code, reason) for ws in members),
            )

    async def _broadcast(
        self, method: str, payload: Any, exclude: WebSocket | None
    ) -> BroadcastResult:
        if self._channels is not None:
            return await self._publish(method, payload, exclude)
        return await self._deliver(method, payload, exclude)

    async def _publish(
        self, method: str, payload: Any, exclude: WebSocket | None
    ) -> BroadcastResult:
        assert self._channels is not None
        if method == 'send_text':
            kind, body = _TEXT, payload.encode('utf-8')
        elif method == 'send_json':
            kind, body = _JSON, payload.encode('utf-8')
        else:
            kind, body = _BINARY, payload
        number = self._members.get(exclude) if exclude is not None else None
        excluded = b'-' if number is None else str(number).encode()
        header = b'%s%s %s\n' % (kind, self._origin, excluded)
        await self._channels.publish(self.channel, header + body)
        # Delivery happens in every process's pump, later: nothing was sent or dropped here.
        return BroadcastResult(0, 0)

    async def _run_pump(self) -> None:
        """Deliver the channel's events to this process's members until none is left."""
        assert self._channels is not None
        subscription = self._channels.subscribe(self.channel)
        try:
            async for event_id, data in subscription:
                for joining in self._joining.values():
                    joining.buffer.append((event_id, data))
                    joining.ids.add(event_id)
                method, payload, number = self._decode(event_id, data)
                exclude = None
                if number is not None:
                    exclude = next((ws for ws, n in self._members.items() if n == number), None)
                await self._deliver(method, payload, exclude)
        finally:
            await subscription.aclose()
        if self._pump is asyncio.current_task():
            self._pump = None
        if subscription.gap:
            _logger.warning(
                'Broadcaster %r: the channel reported missed messages; closing %d members with '
                '%d so that they reconnect',
                self.channel,
                len(self._members),
                self.gap_close_code,
            )
            await self.close_all(self.gap_close_code, 'missed messages; reconnect')
        else:
            await self.close_all(1001)

    def _decode(self, event_id: str, data: bytes) -> tuple[str, Any, int | None]:
        """A channel message as (send method, payload, local number of the excluded member)."""
        header, _, body = data.partition(b'\n')
        kind, origin_and_exclude = header[:1], header[1:]
        origin, _, excluded = origin_and_exclude.partition(b' ')
        number = None
        if origin == self._origin and excluded != b'-':
            number = int(excluded)
        if kind == _BINARY:
            return 'send_data', body, number
        text = body.decode('utf-8')
        prefix = self._id_prefix
        if kind == _JSON and prefix is not None:
            # text is a serialized JSON object: '{' + members + '}'; the id goes first.
            rest = text[1:].lstrip()
            text = prefix + json.dumps(event_id) + ('' if rest.startswith('}') else ',') + rest
        return 'send_text', text, number

    async def _catch_up(self, ws: WebSocket, last_id: str, joining: _Joining) -> None:
        """Replay for one joining member, then hand it over to the pump (module invariants)."""
        assert self._channels is not None
        subscription = self._channels.subscribe(self.channel, last_id=last_id)
        handed_over = False
        try:
            async for event_id, data in subscription:
                if not await self._send_one(ws, event_id, data, joining.number):
                    return
                if event_id in joining.ids:
                    buffer = joining.buffer
                    while buffer.popleft()[0] != event_id:
                        pass
                    while buffer:
                        later_id, later = buffer.popleft()
                        if not await self._send_one(ws, later_id, later, joining.number):
                            return
                    # No await since the buffer was found empty: the pump has not moved on.
                    if self._joining.get(ws) is joining:
                        del self._joining[ws]
                        self._members[ws] = joining.number
                    handed_over = True
                    return
        finally:
            await subscription.aclose()
            if not handed_over:
                if self._joining.get(ws) is joining:
                    # The subscription ended before the hand-over: a gap, or shutdown.
                    del self._joining[ws]
                    code = self.gap_close_code if subscription.gap else 1001
                    self._close_in_background(ws, code)
                self._release_pump()

    async def _send_one(self, ws: WebSocket, event_id: str, data: bytes, own: int) -> bool:
        """Send one channel event to a joining member; False (and the member dropped) if that
        failed or took longer than ``send_timeout``."""
        method, payload, excluded = self._decode(event_id, data)
        if excluded == own:
            return True
        try:
            await asyncio.wait_for(getattr(ws, method)(payload), self.send_timeout)
        except WebSocketDisconnected:
            self._joining.pop(ws, None)
            return False
        except asyncio.TimeoutError:
            _logger.info(
                'Dropping WebSocket %s: its replay stalled for %ss', ws.path, self.send_timeout
            )
            self._joining.pop(ws, None)
            self._close_in_background(ws, self.slow_close_code)
            return False
        except Exception as error:
            _logger.warning('Dropping WebSocket %s after a failed replay: %r', ws.path, error)
            self._joining.pop(ws, None)
            self._close_in_background(ws, 1011)
            return False
        return True

    async def _deliver(
        self, method: str, payload: Any, exclude: WebSocket | None
    ) -> BroadcastResult:
        members = self._members
        targets: list[WebSocket] = []
        dropped = 0
        for ws in tuple(members):
            if ws is exclude:
                continue
            if ws.closed:
                del members[ws]
                dropped += 1
            else:
                targets.append(ws)
        if not targets:
            return BroadcastResult(0, dropped)

        loop = asyncio.get_running_loop()
        tasks = {loop.create_task(getattr(ws, method)(payload)): ws for ws in targets}
        try:
            done, pending = await asyncio.wait(tasks, timeout=self.send_timeout)
        except BaseException:
            for task in tasks:
                task.cancel()
            raise

        sent = 0
        for task in done:
            ws = tasks[task]
            error = None if task.cancelled() else task.exception()
            if error is None and not task.cancelled():
                sent += 1
                continue
            dropped += 1
            members.pop(ws, None)
            if not isinstance(error, WebSocketDisconnected):
                _logger.warning(
                    'Dropping WebSocket %s after a failed broadcast: %r', ws.path, error
                )
                self._close_in_background(ws, 1011)
        for task in pending:
            task.cancel()
            ws = tasks[task]
            dropped += 1
            members.pop(ws, None)
            _logger.info(
                'Dropping WebSocket %s: it did not take a broadcast within %ss',
                ws.path,
                self.send_timeout,
            )
            self._close_in_background(ws, self.slow_close_code)
        return BroadcastResult(sent, dropped)

    def _close_in_background(self, ws: WebSocket, code: int) -> None:
        task = asyncio.get_running_loop().create_task(self._close_quietly(ws, code, None))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_quietly(self, ws: WebSocket, code: int, reason: str | None) -> None:
        try:
            await asyncio.wait_for(ws.close(code, reason), self.close_timeout)
        except Exception as ex:  # a dead client must not disturb anybody else
            _logger.debug('Closing WebSocket %s failed: %r', ws.path, ex)


class _Joining:
    """A member whose replay is still running (see the module invariants)."""

    __slots__ = ('buffer', 'ids', 'number', 'task')

    def __init__(self, number: int) -> None:
        self.number = number
        self.buffer: deque[tuple[str, bytes]] = deque()
        self.ids: set[str] = set()
        self.task: asyncio.Task[None] | None = None
