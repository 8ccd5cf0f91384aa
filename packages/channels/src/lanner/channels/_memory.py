"""``MemoryBackend``: channels inside one process (the default).

Events are kept per channel in a bounded deque for replay and handed to the front end
synchronously from :meth:`MemoryBackend.publish`, so delivery order is publication order. Ids
have the Redis stream shape ``<ms>-<seq>`` and never go backwards, even if the clock does, so
ids issued before a restart stay older than those issued after it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
import itertools
import time

from lanner.channels._backend import BackendSink
from lanner.channels._ids import EventKey, format_id, parse_id

__all__ = ('MemoryBackend',)


class MemoryBackend:
    """Channels for one process: fan-out in memory, the last ``maxlen`` events kept per channel.

    Args:
        maxlen: Events retained per channel for replay (``Last-Event-ID``).
    """

    shared = False

    def __init__(self, *, maxlen: int = 10_000) -> None:
        if not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
            raise ValueError(f'maxlen must be an int >= 1, got {maxlen!r}')
        self.maxlen = maxlen
        self._sink: BackendSink | None = None
        self._last: EventKey = (0, 0)
        # channel -> (key, id, data), oldest first.
        self._events: dict[str, deque[tuple[EventKey, str, bytes]]] = {}

    @property
    def reconnects(self) -> int:
        """Always 0: there is no connection to lose."""
        return 0

    def bind(self, sink: BackendSink) -> None:
        if self._sink is not None and self._sink is not sink:
            raise RuntimeError('A backend serves one Channels object; create another backend.')
        self._sink = sink

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def _next_key(self) -> EventKey:
        ms = time.time_ns() // 1_000_000
        last_ms, last_seq = self._last
        key = (ms, 0) if ms > last_ms else (last_ms, last_seq + 1)
        self._last = key
        return key

    async def publish(self, channel: str, data: bytes) -> str:
        key = self._next_key()
        event_id = format_id(key)
        events = self._events.get(channel)
        if events is None:
            events = self._events[channel] = deque(maxlen=self.maxlen)
        events.append((key, event_id, data))
        if self._sink is not None:
            self._sink.deliver(channel, event_id, data)
        return event_id

    async def history(
        self, channel: str, after_id: str | None, limit: int
    ) -> list[tuple[str, bytes]]:
        events = self._events.get(channel)
        if not events:
            return []
        start = 0
        if after_id is not None:
            after = parse_id(after_id)
            if after is not None:
                # Keys are increasing, so the first newer event is found by bisection.
                start = bisect_right(events, after, key=lambda entry: entry[0])
        return [(eid, data) for _, eid, data in itertools.islice(events, start, start + limit)]

    async def listen(self, channel: str) -> None:
        pass

    async def unlisten(self, channel: str) -> None:
        pass
