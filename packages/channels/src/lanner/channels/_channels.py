"""The ``Channels`` front end: this process's subscribers, fed by one backend.

Invariants (all state lives on one asyncio event loop):

* A subscription is registered (and starts queueing live events) *before* its backend listens
  and *before* its replay is read, so an event published while a replay runs is either in the
  replay or in the queue. Every item is compared with the subscription's cursor (the id of the
  last item it yielded) and skipped unless newer: nothing is delivered twice, nothing is lost.
* Live events reach subscribers only through the backend's ``deliver`` callback: a process that
  publishes does not also hand the event to its own subscribers, so it never sees it twice.
* Every queue is bounded (``queue_size``). When an event arrives for a full queue, the policy
  decides: ``'disconnect'`` ends the subscription with ``gap=True`` after it has yielded what is
  queued; ``'drop_oldest'`` drops the oldest queued event and counts it. Either way the drop is
  counted in :attr:`Channels.stats`.
* A lost backend connection ends every subscription with ``gap=True`` (after its queue), and
  forgets which channels are live, so a subscription that starts later waits for the backend to
  listen again before it reads its replay.
* The last subscription of a channel to leave makes the backend stop listening to it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
import re
from typing import Any, Literal

from lanner.channels._backend import Backend, ChannelsUnavailable
from lanner.channels._ids import EventKey, parse_id

__all__ = ('Channels', 'ChannelsStats', 'OverflowPolicy', 'Subscription')

OverflowPolicy = Literal['disconnect', 'drop_oldest']
_POLICIES = ('disconnect', 'drop_oldest')
# Printable ASCII without spaces: channel names become Redis keys and appear in logs.
_CHANNEL_NAME = re.compile(r'[!-~]{1,200}')

_NEW, _LIVE, _DONE = 0, 1, 2


def _check_positive_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f'{name} must be an int >= 1, got {value!r}')
    return value


def _check_channel(channel: object) -> str:
    if not isinstance(channel, str) or _CHANNEL_NAME.fullmatch(channel) is None:
        raise ValueError(
            f'A channel name is 1 to 200 printable ASCII characters without spaces, got '
            f'{channel!r}.'
        )
    return channel


@dataclass(frozen=True)
class ChannelsStats:
    """Counters of one :class:`Channels` object (this process only)."""

    published: int
    """Events this process published."""
    delivered: int
    """Events handed to local subscribers' queues."""
    subscribers: int
    """Subscriptions currently registered."""
    drops: int
    """Events a full queue did not take (``'drop_oldest'``) or subscriptions ended for being
    too slow (``'disconnect'``)."""
    gaps: int
    """Subscriptions told that they may have missed events (connection loss, overflow, replay
    longer than ``replay_limit``)."""
    reconnects: int
    """Times the backend re-established live delivery after losing its connection."""


class Subscription:
    """An async iterator of ``(event_id, data)`` for one subscriber of one channel.

    Returned by :meth:`Channels.subscribe`; it registers on first iteration and unregisters
    when iteration ends, when :meth:`aclose` is called or when it is garbage. After iteration
    ended, :attr:`gap` tells whether events may have been missed (resume with
    ``subscribe(channel, last_id=sub.last_id)``) or the channels were closed.
    """

    __slots__ = (
        '_backlog',
        '_channel',
        '_cursor',
        '_ending',
        '_hub',
        '_last_id',
        '_queue',
        '_state',
        '_wakeup',
        'dropped',
        'gap',
        'last_id',
    )

    def __init__(self, hub: Channels, channel: str, last_id: str | None) -> None:
        self._hub = hub
        self._channel = channel
        self._last_id = last_id
        self._cursor: EventKey | None = None
        self._queue: deque[tuple[str, bytes]] = deque()
        self._backlog: deque[tuple[str, bytes]] = deque()
        self._wakeup = asyncio.Event()
        self._state = _NEW
        self._ending = False
        self.gap = False
        """True when iteration ended because events may have been missed."""
        self.dropped = 0
        """Events dropped from this subscription's full queue (policy ``'drop_oldest'``)."""
        self.last_id: str | None = last_id
        """Id of the last event yielded (or the ``last_id`` it was created with)."""

    @property
    def channel(self) -> str:
        """The channel subscribed to."""
        return self._channel

    def __repr__(self) -> str:
        return f'<Subscription {self._channel!r} last_id={self.last_id!r} gap={self.gap}>'

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> tuple[str, bytes]:
        if self._state == _NEW:
            await self._attach()
        backlog, queue = self._backlog, self._queue
        while True:
            if backlog:
                item = backlog.popleft()
            elif queue:
                item = queue.popleft()
            elif self._ending or self._state == _DONE:
                self._detach()
                raise StopAsyncIteration
            else:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            key = parse_id(item[0])
            if key is None or (self._cursor is not None and key <= self._cursor):
                continue  # already yielded (replay and live overlap)
            self._cursor = key
            self.last_id = item[0]
            return item

    async def aclose(self) -> None:
        """Stop listening and release this subscription's resources."""
        self._detach()

    def __del__(self) -> None:
        # An abandoned iterator must not keep its channel subscribed in the backend forever.
        if self._state == _LIVE:
            self._hub._remove(self)

    # ------------------------------------------------------------------ driven by Channels

    async def _attach(self) -> None:
        hub = self._hub
        self._state = _LIVE
        if hub._closed:
            self._state = _DONE
            return
        hub._add(self)
        try:
            await hub._listening(self._channel)
            if self._last_id is not None:
                await self._load_replay()
        except ChannelsUnavailable:
            hub._count_gap()
            self._end(gap=True, keep_queue=False)
        except BaseException:
            self._detach()
            raise

    async def _load_replay(self) -> None:
        hub = self._hub
        assert self._last_id is not None
        self._cursor = parse_id(self._last_id)
        # An id we did not issue (a client's guess, another deployment's) replays everything
        # retained, like an id older than the retention window.
        after = self._last_id if self._cursor is not None else None
        limit = hub.replay_limit
        events = await hub._backend.history(self._channel, after, limit + 1)
        if len(events) > limit:
            # More to replay than one subscription may hold: deliver a contiguous prefix, then
            # end with a gap so the consumer resumes from the last id it got.
            del events[limit:]
            hub._count_gap()
            self._end(gap=True, keep_queue=False)
        self._backlog.extend(events)

    def _push(self, item: tuple[str, bytes]) -> int:
        """Queue a live event; return 1 if it was handed over, 0 if not."""
        if self._ending:
            return 0
        queue = self._queue
        if len(queue) >= self._hub.queue_size:
            hub = self._hub
            hub._drops += 1
            if hub._drop_oldest:
                queue.popleft()
                self.dropped += 1
            else:
                hub._count_gap()
                self._end(gap=True, keep_queue=True)
                return 0
        queue.append(item)
        self._wakeup.set()
        return 1

    def _end(self, *, gap: bool, keep_queue: bool) -> None:
        """Stop taking events; iteration ends once what it may still yield is yielded."""
        if not keep_queue:
            self._queue.clear()
        self._ending = True
        self.gap = self.gap or gap
        self._wakeup.set()

    def _detach(self) -> None:
        if self._state == _LIVE:
            self._hub._remove(self)
        self._state = _DONE
        self._ending = True
        self._queue.clear()
        self._backlog.clear()
        self._wakeup.set()


class Channels:
    """Publish/subscribe on named channels, for WebSocket and SSE fan-out.

    ::

        channels = Channels()                          # one process, in memory
        channels = Channels(RedisBackend('redis://127.0.0.1:6379/0'))   # every process
        app = lanner.asgi.App(middleware=[channels])   # lifespan starts and stops it

        event_id = await channels.publish('notes', b'{"id": 1}')
        async for event_id, data in channels.subscribe('notes', last_id=req.last_event_id):
            ...

    ``Broadcaster(channels=..., channel=...)`` (lanner-websocket) and
    ``EventBroker(channels=..., channel=...)`` (lanner-sse) use it to reach every subscriber of
    every worker process.

    Args:
        backend: Where events are stored and how they travel: :class:`MemoryBackend` (default)
            or :class:`RedisBackend`.
        queue_size: Most undelivered events one subscription holds.
        overflow: What happens when an event arrives for a full queue: ``'disconnect'``
            (default) ends the subscription with ``gap=True`` after it yielded what is queued
            (an SSE client reconnects with ``Last-Event-ID`` and loses nothing);
            ``'drop_oldest'`` drops the oldest queued event and keeps going.
        replay_limit: Most events one subscription replays; a longer replay yields this many
            and ends with ``gap=True`` (the consumer resumes from there).
    """

    def __init__(
        self,
        backend: Backend | None = None,
        *,
        queue_size: int = 1000,
        overflow: OverflowPolicy = 'disconnect',
        replay_limit: int = 1000,
    ) -> None:
        if overflow not in _POLICIES:
            raise ValueError(
                f"overflow must be 'disconnect' or 'drop_oldest', got {overflow!r}; see the "
                f'Channels docstring for what each policy does.'
            )
        if backend is None:
            from lanner.channels._memory import MemoryBackend

            backend = MemoryBackend()
        self.queue_size = _check_positive_int('queue_size', queue_size)
        self.replay_limit = _check_positive_int('replay_limit', replay_limit)
        self.overflow = overflow
        self._drop_oldest = overflow == 'drop_oldest'
        self._backend = backend
        backend.bind(self)
        # channel -> its subscriptions; a dict is an insertion-ordered set (join order).
        self._subs: dict[str, dict[Subscription, None]] = {}
        # channel -> the backend's listen() in flight or done; forgotten on a gap.
        self._live: dict[str, asyncio.Future[None]] = {}
        self._started = False
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._published = 0
        self._delivered = 0
        self._drops = 0
        self._gaps = 0

    @classmethod
    def from_url(cls, url: str | None, **kwargs: Any) -> Channels:
        """Channels for a URL: ``redis://``/``rediss://``/``unix://`` (Redis or Valkey) or
        None, ``''`` or ``memory://`` (one process). Keywords go to :class:`Channels`.

        Raises:
            ValueError: The URL's scheme is not one of those.
        """
        if not url or url == 'memory://':
            return cls(**kwargs)
        scheme = url.partition('://')[0].lower()
        if scheme in ('redis', 'rediss', 'unix', 'valkey', 'valkeys'):
            from lanner.channels._redis import RedisBackend

            return cls(RedisBackend(url), **kwargs)
        raise ValueError(
            f'Unsupported channels URL {url!r}: use redis://HOST:PORT/DB (Redis or Valkey), '
            f'rediss:// for TLS, or leave it empty for in-memory channels.'
        )

    # ------------------------------------------------------------------ properties

    @property
    def backend(self) -> Backend:
        """The backend in use."""
        return self._backend

    @property
    def shared(self) -> bool:
        """Whether other processes see this object's events (the backend is not memory)."""
        return self._backend.shared

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def stats(self) -> ChannelsStats:
        """A snapshot of this process's counters."""
        return ChannelsStats(
            published=self._published,
            delivered=self._delivered,
            subscribers=sum(len(subs) for subs in self._subs.values()),
            drops=self._drops,
            gaps=self._gaps,
            reconnects=self._backend.reconnects,
        )

    def __repr__(self) -> str:
        return f'<Channels backend={type(self._backend).__name__} channels={len(self._subs)}>'

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Start the backend's listener (idempotent); lifespan calls it via
        :meth:`process_startup`. Subscribing starts it too if needed."""
        if self._closed:
            raise RuntimeError('Channels.start() was called after close().')
        if not self._started:
            self._started = True
            await self._backend.start()

    async def close(self) -> None:
        """End every subscription (``gap=False``), then stop the backend. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for subs in self._subs.values():
            for sub in subs:
                sub._end(gap=False, keep_queue=True)
        self._subs.clear()
        self._live.clear()
        for task in tuple(self._tasks):
            task.cancel()
        await self._backend.close()

    async def __aenter__(self) -> Channels:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def process_startup(self, scope: Any, event: Any) -> None:
        """ASGI lifespan hook: ``App(middleware=[channels])`` starts the listener."""
        await self.start()

    async def process_shutdown(self, scope: Any, event: Any) -> None:
        """ASGI lifespan hook: ends subscriptions and closes the backend's connections."""
        await self.close()

    # ------------------------------------------------------------------ the API

    @staticmethod
    def is_event_id(value: object) -> bool:
        """Whether ``value`` has the shape of an event id these channels issue
        (``'<milliseconds>-<sequence>'``). Check ids that come from clients (a WebSocket's
        ``?last_id=``) before passing them to :meth:`subscribe`, which replays every retained
        event for an id it does not recognise."""
        return isinstance(value, str) and parse_id(value) is not None

    async def publish(self, channel: str, data: bytes | str) -> str:
        """Publish ``data`` on ``channel`` to every subscriber of every process sharing the
        backend, and keep it for replay.

        Returns:
            The event's id (ordered: later events have greater ids).

        Raises:
            ChannelsUnavailable: The backend could not be reached in time.
            RuntimeError: The channels were closed.
        """
        _check_channel(channel)
        if isinstance(data, str):
            data = data.encode('utf-8')
        elif not isinstance(data, bytes):
            raise TypeError(f'publish() takes bytes or str data, not {type(data).__name__}.')
        if self._closed:
            raise RuntimeError('Channels.publish() was called after close().')
        event_id = await self._backend.publish(channel, data)
        self._published += 1
        return event_id

    def subscribe(self, channel: str, *, last_id: str | None = None) -> Subscription:
        """Subscribe to ``channel``: the events published after ``last_id`` (none when it is
        None), then live events, each once and in id order.

        The subscription registers when iteration starts; see :class:`Subscription`.
        """
        _check_channel(channel)
        if last_id is not None and not isinstance(last_id, str):
            raise TypeError(f'last_id must be a str or None, not {type(last_id).__name__}.')
        return Subscription(self, channel, last_id)

    async def history(
        self, channel: str, after_id: str | None = None, *, limit: int | None = None
    ) -> list[tuple[str, bytes]]:
        """The retained events of ``channel`` published after ``after_id`` (all retained when
        None), oldest first, at most ``limit`` (default ``replay_limit``).

        Raises:
            ValueError: ``after_id`` is not an id these channels issue.
        """
        _check_channel(channel)
        if after_id is not None and parse_id(after_id) is None:
            raise ValueError(
                f'{after_id!r} is not an event id (expected "<milliseconds>-<sequence>").'
            )
        count = self.replay_limit if limit is None else _check_positive_int('limit', limit)
        return await self._backend.history(channel, after_id, count)

    # ------------------------------------------------------------------ BackendSink

    def deliver(self, channel: str, event_id: str, data: bytes) -> None:
        """Called by the backend for every live event (not part of the application API)."""
        subs = self._subs.get(channel)
        if subs:
            item = (event_id, data)
            delivered = 0
            for sub in subs:
                delivered += sub._push(item)
            self._delivered += delivered

    def gap(self) -> None:
        """Called by the backend when live delivery broke: every subscription may have missed
        events, so each is ended with ``gap=True`` (not part of the application API)."""
        self._live.clear()
        for subs in self._subs.values():
            for sub in subs:
                if not sub._ending:
                    self._gaps += 1
                    sub._end(gap=True, keep_queue=True)

    # ------------------------------------------------------------------ for Subscription

    def _count_gap(self) -> None:
        self._gaps += 1

    def _add(self, sub: Subscription) -> None:
        self._subs.setdefault(sub._channel, {})[sub] = None

    def _remove(self, sub: Subscription) -> None:
        channel = sub._channel
        subs = self._subs.get(channel)
        if subs is None or sub not in subs:
            return
        del subs[sub]
        if not subs:
            del self._subs[channel]
            self._live.pop(channel, None)
            if not self._closed:
                self._spawn(self._backend.unlisten(channel))

    async def _listening(self, channel: str) -> None:
        if not self._started:
            await self.start()
        future = self._live.get(channel)
        if future is None or (future.done() and (future.cancelled() or future.exception())):
            future = asyncio.ensure_future(self._backend.listen(channel))
            self._live[channel] = future
        # shield: one subscriber giving up must not cancel the listen the others wait for.
        await asyncio.shield(future)

    def _spawn(self, coro: Any) -> None:
        try:
            task = asyncio.get_running_loop().create_task(coro)
        except RuntimeError:  # no loop (garbage collected at exit): nothing left to release
            coro.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
