"""Publish/subscribe for Server-Sent Events: one publisher, many streaming subscribers.

Invariants (all state lives on one asyncio event loop; ``publish`` is synchronous, so between two
``await`` points nothing else can touch the broker):

* Memory is bounded: each subscriber owns a queue of at most ``queue_size`` events and the broker
  keeps at most ``replay_size`` events for resumption. ``publish`` never waits for a subscriber.
* A subscriber is registered when its stream starts (first iteration, i.e. once the response is
  being sent) and unregistered in the stream's ``finally``: when the client disconnects, the
  server shuts down or the stream ends for any other reason. A stream that is never iterated (a
  HEAD request, an error before the body) never registers, so nothing leaks.
* Registration and the snapshot of the replay buffer happen without an ``await`` in between, so
  a subscriber sees every event exactly once and in publication order: the snapshot holds what
  was published before it registered, its queue what was published after.
* Each published event gets a sequence number; its ``id`` (the broker's unless the publisher set
  one) maps back to that number so ``Last-Event-ID`` resumes right after it.

With ``channels`` (any ``lanner.typing.PubSubChannels``, e.g. ``lanner.channels.Channels``) none
of the above state is used: :meth:`EventBroker.apublish` serializes the event once and publishes
the bytes on the channel; each stream is one channel subscription (replay after
``Last-Event-ID``, then live events), and event ids are the channel's ids. Queues, overflow and
retention are the channels' business. A stream whose subscription reports a gap simply ends:
the browser reconnects with ``Last-Event-ID`` and the replay fills the gap.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
import itertools
import secrets
from typing import TYPE_CHECKING, Literal

from lanner.sse._event import JSONSerializer, SerializedEvent, SSEvent, check_single_line

if TYPE_CHECKING:
    from lanner.typing import ChannelSubscription, PubSubChannels

__all__ = ('EventBroker', 'SlowSubscriberPolicy')

SlowSubscriberPolicy = Literal['drop', 'skip']
_POLICIES = ('drop', 'skip')


class _PublishedEvent(SSEvent):
    """A frozen-by-convention copy of a published event that renders itself once per handler."""

    __slots__ = ('_rendered', '_rendered_for')

    _rendered: SerializedEvent | None
    _rendered_for: JSONSerializer | None

    def serialize(self, handler: JSONSerializer | None = None) -> SerializedEvent:
        # PERF: every subscriber serializes the same shared event object; caching the bytes per
        # JSON handler makes a broadcast cost one serialization instead of one per subscriber
        # (measured: 2.5 us -> 0.1 us per subscriber for a small JSON event with event and id).
        rendered = self._rendered
        if rendered is not None and self._rendered_for is handler:
            return rendered
        rendered = super().serialize(handler)
        self._rendered = rendered
        self._rendered_for = handler
        return rendered


def _freeze(event: SSEvent, event_id: str) -> _PublishedEvent:
    published = _PublishedEvent(
        data=event.data,
        text=event.text,
        json=event.json,
        event=event.event,
        event_id=event_id,
        retry=event.retry,
        comment=event.comment,
    )
    published._rendered = None
    published._rendered_for = None
    return published


class _RelayedEvent(SSEvent):
    """An event that arrived through channels: its bytes were rendered by the publisher."""

    __slots__ = ('_body',)

    _body: bytes

    def serialize(self, handler: JSONSerializer | None = None) -> SerializedEvent:
        # PERF: the publisher serialized the event once for every process; a subscriber only
        # puts the channel's id in front (one concatenation, no re-rendering).
        return SerializedEvent(b'id: %s\n%s' % (str(self.event_id).encode(), self._body))


def _relayed(event_id: str, body: bytes) -> _RelayedEvent:
    event = _RelayedEvent(event_id=event_id)
    event._body = body
    return event


class _Subscriber:
    __slots__ = ('ending', 'queue', 'wakeup')

    def __init__(self) -> None:
        self.queue: deque[_PublishedEvent] = deque()
        self.wakeup = asyncio.Event()
        self.ending = False  # deliver what is queued, then end the stream


class EventBroker:
    """Fan out events to any number of SSE streams, with bounded memory and resumption.

    Publish from anywhere on the event loop; give each client its own stream::

        broker = EventBroker()

        class Notifications:
            async def on_get(self, req, resp):
                resp.sse = broker.subscribe(req.last_event_id)

        broker.publish(SSEvent(json={'msg': 'hello'}, event='notification'))

    Slow subscribers: a subscriber whose queue already holds ``queue_size`` undelivered events
    when another one is published is handled by ``slow_subscriber``:

    * ``'drop'`` (default): the subscriber is unregistered, receives what is already in its
      queue, and then its stream ends. The browser's ``EventSource`` reconnects by itself and
      sends ``Last-Event-ID``, so with ``subscribe(req.last_event_id)`` it resumes from the
      replay buffer without losing events (unless it fell more than ``replay_size`` behind).
    * ``'skip'``: the subscriber stays connected but misses that event (the approach of
      ``queue.put_nowait`` / ``except QueueFull: pass``). Use it when only fresh values matter.

    Resumption: the last ``replay_size`` events are kept. ``subscribe(last_event_id)`` with a known
    id first replays every later event; with an unknown id (too old, or issued by a previous
    process: the broker's ids carry a random per-instance prefix) it replays the whole buffer;
    with None it delivers only events published from now on.

    The broker is not thread-safe: call :meth:`publish` on the event loop thread (from another
    thread use ``loop.call_soon_threadsafe(broker.publish, event)``).

    Args:
        queue_size: Most events waiting for one subscriber (at least 1).
        replay_size: Events kept for ``Last-Event-ID`` resumption (0 disables resumption).
        slow_subscriber: ``'drop'`` or ``'skip'``, see above.
        id_prefix: Prefix of the ids the broker assigns (``<prefix><sequence number>``). Default:
            8 random hex digits and ``-``, so ids never collide across restarts.
        retry: If set, every stream starts with an event carrying this ``retry`` (milliseconds),
            telling the browser how long to wait before reconnecting.
        channels: Fan events out through these channels (``lanner.channels.Channels`` or any
            ``lanner.typing.PubSubChannels``), reaching the streams of every worker process and
            resuming from any of them. Publish with ``await broker.apublish(event)``;
            ``queue_size``, ``replay_size``, ``slow_subscriber`` and ``id_prefix`` then do not
            apply (the channels' own limits do). Default: this process only.
        channel: The channel name used with ``channels``.
    """

    def __init__(
        self,
        *,
        queue_size: int = 100,
        replay_size: int = 1000,
        slow_subscriber: SlowSubscriberPolicy = 'drop',
        id_prefix: str | None = None,
        retry: int | None = None,
        channels: PubSubChannels | None = None,
        channel: str = 'events',
    ) -> None:
        if not isinstance(queue_size, int) or isinstance(queue_size, bool) or queue_size < 1:
            raise ValueError(f'queue_size must be an int >= 1, got {queue_size!r}')
        if not isinstance(replay_size, int) or isinstance(replay_size, bool) or replay_size < 0:
            raise ValueError(f'replay_size must be an int >= 0, got {replay_size!r}')
        if slow_subscriber not in _POLICIES:
            raise ValueError(
                f"slow_subscriber must be 'drop' or 'skip', got {slow_subscriber!r}; see the "
                f'EventBroker docstring for what each policy does'
            )
        if id_prefix is None:
            id_prefix = secrets.token_hex(4) + '-'
        else:
            check_single_line('id_prefix', id_prefix)
        if retry is not None:
            SSEvent(retry=retry)  # same validation as the field itself

        self._queue_size = queue_size
        self._replay_size = replay_size
        self._skip_slow = slow_subscriber == 'skip'
        self._id_prefix = id_prefix
        self._retry = retry
        self._seq = 0
        self._last_id: str | None = None
        # (sequence number, event id, event), oldest first; sequence numbers are consecutive.
        self._replay: deque[tuple[int, str, _PublishedEvent]] = deque()
        self._seq_by_id: dict[str, int] = {}
        # dict as an insertion-ordered set: subscribers are served in the order they joined.
        self._subscribers: dict[_Subscriber, None] = {}
        self._closed = False
        self._dropped = 0
        self._skipped = 0
        if channels is not None and not callable(getattr(channels, 'subscribe', None)):
            raise TypeError(
                f'channels must be a pub/sub object such as lanner.channels.Channels, not '
                f'{type(channels).__name__}.'
            )
        self._channels = channels
        self._channel = channel
        self._relays: dict[ChannelSubscription, None] = {}
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def subscriber_count(self) -> int:
        """Number of streams currently registered (in this process)."""
        return len(self._subscribers) + len(self._relays)

    @property
    def dropped_count(self) -> int:
        """How many subscribers were dropped for being too slow (policy ``'drop'``)."""
        return self._dropped

    @property
    def skipped_count(self) -> int:
        """How many deliveries were skipped because a queue was full (policy ``'skip'``)."""
        return self._skipped

    @property
    def last_event_id(self) -> str | None:
        """Id of the most recently published event (None before the first one)."""
        return self._last_id

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def publish(self, event: SSEvent) -> SSEvent:
        """Send ``event`` to every current subscriber and keep it for resumption.

        The broker stores a copy: an event without ``event_id`` gets the broker's next id. Treat
        the returned event (and any ``json`` payload) as immutable from then on; it is shared by
        all subscribers.

        Returns:
            The stored copy, with its ``event_id`` set.

        Raises:
            TypeError: ``event`` is not an :class:`SSEvent`.
            RuntimeError: The broker was closed.
        """
        if not isinstance(event, SSEvent):
            raise TypeError(
                f'EventBroker.publish() takes an SSEvent, not {type(event).__name__}; wrap the '
                f'payload, e.g. publish(SSEvent(json=payload, event="update"))'
            )
        if self._closed:
            raise RuntimeError('EventBroker.publish() was called after close()')
        if self._channels is not None:
            raise RuntimeError(
                'This EventBroker publishes through channels, which takes a network round '
                'trip: use "await broker.apublish(event)" instead of publish().'
            )
        seq = self._seq + 1
        event_id = event.event_id if event.event_id is not None else f'{self._id_prefix}{seq}'
        published = _freeze(event, event_id)  # validates; nothing is changed if it raises
        self._seq = seq
        self._last_id = event_id

        if self._replay_size:
            if len(self._replay) == self._replay_size:
                old_seq, old_id, _ = self._replay.popleft()
                if self._seq_by_id.get(old_id) == old_seq:
                    del self._seq_by_id[old_id]
            self._replay.append((seq, event_id, published))
            self._seq_by_id[event_id] = seq

        limit = self._queue_size
        dropped: list[_Subscriber] = []
        for sub in self._subscribers:
            if len(sub.queue) < limit:
                sub.queue.append(published)
                sub.wakeup.set()
            elif self._skip_slow:
                self._skipped += 1
            else:
                sub.ending = True
                sub.wakeup.set()
                dropped.append(sub)
        for sub in dropped:
            del self._subscribers[sub]
        self._dropped += len(dropped)
        return published

    async def apublish(self, event: SSEvent) -> SSEvent:
        """Publish ``event``; works with and without ``channels`` (awaitable form of
        :meth:`publish`).

        With channels, the event is serialized once here (with the default JSON handler) and
        its id is assigned by the channels; an event that already has an ``event_id`` is
        refused, because resumption relies on the channels' ordered ids.

        Returns:
            The stored copy, with its ``event_id`` set.

        Raises:
            TypeError: ``event`` is not an :class:`SSEvent`.
            ValueError: ``event.event_id`` is set while publishing through channels.
            RuntimeError: The broker was closed.
        """
        if self._channels is None:
            return self.publish(event)
        if not isinstance(event, SSEvent):
            raise TypeError(
                f'EventBroker.apublish() takes an SSEvent, not {type(event).__name__}; wrap '
                f'the payload, e.g. apublish(SSEvent(json=payload, event="update"))'
            )
        if self._closed:
            raise RuntimeError('EventBroker.apublish() was called after close()')
        if event.event_id is not None:
            raise ValueError(
                'Events published through channels get their id from the channels (ordered '
                'across processes, used for Last-Event-ID); leave event_id unset.'
            )
        body = bytes(event.serialize())
        event_id = await self._channels.publish(self._channel, body)
        self._last_id = event_id
        return _relayed(event_id, body)

    def subscribe(self, last_event_id: str | None = None) -> AsyncGenerator[SSEvent, None]:
        """A stream of events for one client, to assign to ``resp.sse``.

        Args:
            last_event_id: The client's ``Last-Event-ID`` (``req.last_event_id``), or None.

        Returns:
            An async generator. It registers when iteration starts and unregisters when it is
            closed, which ``resp.sse`` does as soon as the client disconnects. Events published
            between this call and the start of iteration are delivered from the replay buffer
            (so they are lost only with ``replay_size=0``).
        """
        if self._channels is not None:
            return self._relay(self._channels, last_event_id)
        if last_event_id is None:
            cursor = self._seq
        else:
            seq = self._seq_by_id.get(last_event_id)
            if seq is not None:
                cursor = seq
            else:
                cursor = self._replay[0][0] - 1 if self._replay else self._seq
        return self._stream(cursor)

    def close(self) -> None:
        """End every stream (after it delivers what is queued) and refuse further publishing.

        Call it on shutdown so that open responses finish instead of keeping the server busy.
        Streams subscribed after this end immediately.
        """
        self._closed = True
        for sub in self._subscribers:
            sub.ending = True
            sub.wakeup.set()
        self._subscribers.clear()
        if self._relays:
            loop = asyncio.get_running_loop()
            for relay in tuple(self._relays):
                # Ending the subscription ends its stream; the task is kept until it is done.
                task = loop.create_task(relay.aclose())
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    def _backlog_after(self, cursor: int) -> list[_PublishedEvent]:
        replay = self._replay
        if not replay or cursor >= replay[-1][0]:
            return []
        # Sequence numbers in the buffer are consecutive, so the offset is arithmetic.
        start = max(cursor + 1 - replay[0][0], 0)
        return [event for _, _, event in itertools.islice(replay, start, None)]

    async def _relay(
        self, channels: PubSubChannels, last_event_id: str | None
    ) -> AsyncGenerator[SSEvent, None]:
        if self._closed:
            return
        subscription = channels.subscribe(self._channel, last_id=last_event_id)
        self._relays[subscription] = None
        try:
            if self._retry is not None:
                yield SSEvent(retry=self._retry)
            async for event_id, body in subscription:
                yield _relayed(event_id, body)
            # Ended: a gap (the client reconnects with Last-Event-ID) or the channels closed.
        finally:
            self._relays.pop(subscription, None)
            await subscription.aclose()

    async def _stream(self, cursor: int) -> AsyncGenerator[SSEvent, None]:
        if self._closed:
            return
        sub = _Subscriber()
        # No await between these two lines: see the module invariants.
        self._subscribers[sub] = None
        backlog = self._backlog_after(cursor)
        try:
            if self._retry is not None:
                yield SSEvent(retry=self._retry)
            for event in backlog:
                yield event
            del backlog
            queue = sub.queue
            while True:
                while queue:
                    yield queue.popleft()
                if sub.ending:
                    return
                sub.wakeup.clear()
                await sub.wakeup.wait()
        finally:
            self._subscribers.pop(sub, None)
