"""A small asyncio HTTP/1.1 load generator with per-request expectations.

Each connection is a keep-alive ``asyncio.Protocol`` that sends one request at a time and parses
the answer (status line, headers, ``Content-Length`` body). Every request carries the status it
must get, so "unexpected status" means exactly that request, not a ratio; transport failures and
timeouts count as errors. Latencies are recorded per request (``time.perf_counter``).

The mixed traffic is the example app's API: list, read, create, edit, replace and delete notes,
validation errors, a missing note, a bad query parameter, the static page and the redirect to it.
Creates and deletes are paired per connection, so the data set does not grow during a run.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
import itertools
import json
import re
import time
from typing import Any

HOST = '127.0.0.1'
REQUEST_TIMEOUT = 30.0
SEED_NOTES = 50

_CONTENT_LENGTH = re.compile(rb'\r\ncontent-length:[ \t]*(\d+)', re.IGNORECASE)
_LOCATION_ID = re.compile(rb'\r\nlocation:[ \t]*/notes/(\d+)', re.IGNORECASE)


class ResponseError(Exception):
    """The server's answer could not be read (connection lost, malformed, too slow)."""


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bytes]] | None = None
        self.transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._parse()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ResponseError(f'connection lost: {exc!r}'))

    def _parse(self) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        end = self.buffer.find(b'\r\n\r\n')
        if end < 0:
            return
        head = bytes(self.buffer[:end])
        try:
            status = int(head[9:12])
        except ValueError:
            waiter.set_exception(ResponseError(f'bad status line: {head[:100]!r}'))
            return
        match = _CONTENT_LENGTH.search(head)
        if match is not None:
            length = int(match.group(1))
        elif status in (204, 304) or status < 200:
            length = 0  # bodiless by definition
        else:
            waiter.set_exception(ResponseError(f'response without Content-Length: {head[:200]!r}'))
            return
        total = end + 4 + length
        if len(self.buffer) < total:
            return
        body = bytes(self.buffer[end + 4 : total])
        del self.buffer[:total]
        waiter.set_result((status, head, body))

    async def request(self, data: bytes) -> tuple[int, bytes, bytes]:
        if self.lost or self.transport is None:
            raise ResponseError('connection closed')
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        self._parse()
        return await asyncio.wait_for(self.waiter, REQUEST_TIMEOUT)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_connection(port: int) -> _Connection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(_Connection, HOST, port)
    return protocol


def _request(method: str, target: str, doc: Any = None) -> bytes:
    head = f'{method} {target} HTTP/1.1\r\nHost: {HOST}\r\n'
    if doc is None:
        return (head + '\r\n').encode()
    body = json.dumps(doc).encode()
    head += f'Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n'
    return head.encode() + body


@dataclass
class Stats:
    """Results of one load run (merge several with :meth:`add`)."""

    requests: int = 0
    errors: int = 0
    unexpected: int = 0
    seconds: float = 0.0
    # Latencies by request kind (CYCLE's names): which kinds make the tail.
    kind_latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # first few problems, for the report

    def add(self, other: Stats) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.unexpected += other.unexpected
        self.seconds += other.seconds
        for kind, values in other.kind_latencies.items():
            self.kind_latencies.setdefault(kind, []).extend(values)
        self.statuses.update(other.statuses)
        for sample in other.samples:
            self.note(sample)

    def note(self, problem: str) -> None:
        if len(self.samples) < 10:
            self.samples.append(problem)

    @property
    def latencies(self) -> list[float]:
        """Every recorded latency, all kinds together."""
        return list(itertools.chain.from_iterable(self.kind_latencies.values()))

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float, kind: str | None = None) -> float:
        values = self.latencies if kind is None else self.kind_latencies.get(kind, [])
        if not values:
            return float('nan')
        ordered = sorted(values)
        index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
        return ordered[index]


# One connection's cycle of requests: (name, method, target, body, expected status). Targets may
# name {seed} (a note that always exists) or {created} (the note this connection created last).
CYCLE: list[tuple[str, str, str, Any, int]] = [
    ('list', 'GET', '/notes?limit=10', None, 200),
    ('read', 'GET', '/notes/{seed}', None, 200),
    ('create', 'POST', '/notes', {'title': 'soak', 'body': 'x' * 200}, 201),
    ('read-created', 'GET', '/notes/{created}', None, 200),
    ('edit', 'PATCH', '/notes/{created}', {'body': 'edited'}, 200),
    ('replace', 'PUT', '/notes/{seed}', {'title': 'seed', 'body': 'replaced'}, 200),
    ('read', 'GET', '/notes/{seed}', None, 200),
    ('delete', 'DELETE', '/notes/{created}', None, 204),
    ('missing', 'GET', '/notes/999999999', None, 404),
    ('invalid', 'POST', '/notes', {'title': ''}, 422),
    ('unknown-field', 'PATCH', '/notes/{seed}', {'colour': 'red'}, 422),
    ('bad-param', 'GET', '/notes?limit=0', None, 400),
    ('static', 'GET', '/static/index.html', None, 200),
    ('redirect', 'GET', '/', None, 302),
    ('list-page', 'GET', '/notes?limit=5&offset=10', None, 200),
    ('read', 'GET', '/notes/{seed}', None, 200),
]


async def seed(port: int) -> None:
    """Create the notes the mix reads (ids 1..SEED_NOTES in a fresh store)."""
    conn = await open_connection(port)
    try:
        for number in range(SEED_NOTES):
            status, _, _ = await conn.request(
                _request('POST', '/notes', {'title': f'seed {number}', 'body': 'seed'})
            )
            if status != 201:
                raise RuntimeError(f'seeding failed with status {status}')
    finally:
        conn.close()


async def _worker(
    port: int,
    index: int,
    stats: Stats,
    stop: Callable[[], bool],
    record: bool,
) -> None:
    conn: _Connection | None = None
    created: int | None = None
    steps = itertools.cycle(CYCLE)
    for _ in range(index % len(CYCLE)):  # connections start at different points of the cycle
        next(steps)
    counter = index
    while not stop():
        name, method, target, doc, expected = next(steps)
        counter += 1
        if '{created}' in target and created is None:
            continue
        target = target.format(seed=counter % SEED_NOTES + 1, created=created)
        data = _request(method, target, doc)
        started = time.perf_counter()
        try:
            if conn is None or conn.lost:
                conn = await open_connection(port)
            status, head, _ = await conn.request(data)
        except (OSError, ResponseError, asyncio.TimeoutError) as ex:
            stats.errors += 1
            stats.note(f'{method} {target}: {ex!r}')
            if conn is not None:
                conn.close()
            conn = None
            continue
        elapsed = time.perf_counter() - started
        stats.requests += 1
        stats.statuses[status] += 1
        if record:
            stats.kind_latencies.setdefault(name, []).append(elapsed)
        if status != expected:
            stats.unexpected += 1
            stats.note(f'{method} {target}: expected {expected}, got {status}')
        if name == 'create':
            match = _LOCATION_ID.search(head)
            created = int(match.group(1)) if match else None
        elif name == 'delete':
            created = None
    if conn is not None:
        conn.close()


async def run_mix(
    port: int,
    connections: int,
    *,
    seconds: float | None = None,
    total: int | None = None,
    record_latencies: bool = True,
    on_progress: Callable[[int], None] | None = None,
    time_limit: float = 3600.0,
) -> Stats:
    """Drive ``connections`` keep-alive connections with the mix for ``seconds`` or ``total``
    requests (whichever is given; both are also bounded by ``time_limit``)."""
    stats = Stats()
    started = time.perf_counter()
    deadline = started + min(seconds if seconds is not None else time_limit, time_limit)
    next_progress = [0]

    def stop() -> bool:
        done = stats.requests + stats.errors
        if on_progress is not None and done >= next_progress[0]:
            next_progress[0] = done + 10_000
            on_progress(done)
        if total is not None and done >= total:
            return True
        return time.perf_counter() >= deadline

    await asyncio.gather(
        *(_worker(port, i, stats, stop, record_latencies) for i in range(connections))
    )
    stats.seconds = time.perf_counter() - started
    return stats
