"""The seven soak figures of issue 11, each measured and judged against its target."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import os
import threading
import time
from typing import Any

from soak_lib import clients, load, shutdown
from soak_lib.data import sha256_of
from soak_lib.servers import Server

MIB = 1024 * 1024


@dataclass
class Figure:
    number: int
    title: str
    measured: str
    target: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sizes:
    """How big each figure is: the issue's sizes, or a quick smoke-check version."""

    connections: int = 256
    mix_seconds: float = 60.0
    mix_segments: int = 12
    warmup_seconds: float = 5.0
    total_requests: int = 1_000_000
    warmup_requests: int = 100_000
    memory_connections: int = 128
    ws_clients: int = 1000
    ws_seconds: float = 60.0
    sse_subscribers: int = 1000
    sse_events: int = 20
    abandoned: int = 100
    slow_clients: int = 500
    slow_seconds: float = 60.0
    transfer_bytes: int = 100 * MIB
    shutdown_streams: int = 200

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            mix_seconds=10.0,
            mix_segments=1,
            warmup_seconds=2.0,
            total_requests=100_000,
            warmup_requests=20_000,
            ws_clients=200,
            ws_seconds=15.0,
            sse_subscribers=200,
            abandoned=20,
            slow_clients=100,
            slow_seconds=10.0,
            shutdown_streams=20,
        )


def _ms(seconds: float) -> str:
    return f'{seconds * 1000:.0f} ms'


def _mib(kib: float) -> str:
    return f'{kib / 1024:.1f} MiB'


class RSSSampler:
    """Samples a server's resident memory every ``interval`` seconds in a thread."""

    def __init__(self, server: Server, interval: float = 0.05) -> None:
        self.server = server
        self.interval = interval
        self.peak = server.rss_kib()
        self.start = self.peak
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.peak = max(self.peak, self.server.rss_kib())
            except (OSError, RuntimeError):
                return

    def __enter__(self) -> RSSSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.peak = max(self.peak, self.server.rss_kib())

    @property
    def growth_kib(self) -> int:
        return self.peak - self.start


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> float | None:
    """Seconds until ``predicate()`` held (polled), or None if it did not within ``timeout``."""
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(interval)


def _within(seconds: float | None) -> str:
    return 'NOT within 10 s' if seconds is None else f'in {seconds:.2f} s'


def _describe(stats: load.Stats) -> str:
    return (
        f'{stats.rps:,.0f} req/s ({stats.requests:,} requests), p99 {_ms(stats.percentile(0.99))}, '
        f'{stats.errors} errors, {stats.unexpected} unexpected'
    )


# ---------------------------------------------------------------------------------------------
# 1. Mixed traffic, lanner vs Falcon


@contextlib.contextmanager
def _servers_apart_from_client(servers: list[Server]) -> Iterator[None]:
    """Servers on the last CPU, this process (the load generator) on the others, if possible.

    Unpinned, the scheduler sometimes puts the server and the load generator on one core for a
    while; with both frameworks' servers on the same core, they meet the same conditions.
    """
    if not hasattr(os, 'sched_setaffinity'):
        yield
        return
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        yield
        return
    try:
        for server in servers:
            os.sched_setaffinity(server.pid, {cpus[-1]})
        os.sched_setaffinity(0, set(cpus[:-1]))
        yield
    finally:
        os.sched_setaffinity(0, set(cpus))
        for server in servers:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(server.pid, set(cpus))


def figure_1(lanner: Server, falcon: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    with _servers_apart_from_client([lanner, falcon]):
        return _figure_1(lanner, falcon, sizes, log)


def _figure_1(lanner: Server, falcon: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    results = {'lanner': load.Stats(), 'falcon': load.Stats()}
    cpu = {'lanner': 0.0, 'falcon': 0.0}
    servers = {'lanner': lanner, 'falcon': falcon}
    for server in servers.values():
        asyncio.run(load.seed(server.port))
        asyncio.run(load.run_mix(server.port, sizes.connections, seconds=sizes.warmup_seconds))
    segment = sizes.mix_seconds / sizes.mix_segments
    # Segments run back to back in pairs; comparing within a pair cancels slow drifts of the
    # machine, and the count of pairs lanner won says how consistent the overall ratio is.
    pairs_won = 0
    for round_number in range(sizes.mix_segments):
        # Alternate the frameworks so load from elsewhere on the machine hits both alike.
        order = ('lanner', 'falcon') if round_number % 2 == 0 else ('falcon', 'lanner')
        rps: dict[str, float] = {}
        for name in order:
            server = servers[name]
            before = server.cpu_seconds()
            stats = asyncio.run(load.run_mix(server.port, sizes.connections, seconds=segment))
            cpu[name] += server.cpu_seconds() - before
            results[name].add(stats)
            rps[name] = stats.rps
            log(f'  figure 1, {name} segment {round_number + 1}: {_describe(stats)}')
        pairs_won += rps['lanner'] >= rps['falcon']
    ours, theirs = results['lanner'], results['falcon']
    passed = (
        ours.errors == 0
        and ours.unexpected == 0
        and ours.percentile(0.99) < 0.250
        and ours.rps >= theirs.rps
    )
    return Figure(
        1,
        f'{sizes.connections} connections, {sizes.mix_seconds:.0f} s of mixed traffic',
        f'lanner {_describe(ours)}, {ours.requests / cpu["lanner"]:,.0f} req per server '
        f'CPU-second; Falcon {_describe(theirs)}, {theirs.requests / cpu["falcon"]:,.0f} req per '
        f'server CPU-second; ratio {ours.rps / theirs.rps:.2f}, lanner ahead in {pairs_won} of '
        f'{sizes.mix_segments} paired segments',
        '0 errors, 0 unexpected statuses, p99 < 250 ms, req/s >= Falcon',
        passed,
        {
            'lanner': _stats_doc(ours, cpu['lanner']),
            'falcon': _stats_doc(theirs, cpu['falcon']),
            'pairs_won': pairs_won,
            'pairs': sizes.mix_segments,
        },
    )


def _stats_doc(stats: load.Stats, cpu_seconds: float | None = None) -> dict[str, Any]:
    doc = {
        'requests': stats.requests,
        'seconds': round(stats.seconds, 2),
        'rps': round(stats.rps, 1),
        'errors': stats.errors,
        'unexpected': stats.unexpected,
        'p50_ms': round(stats.percentile(0.5) * 1000, 1),
        'p99_ms': round(stats.percentile(0.99) * 1000, 1),
        'max_ms': round(max(stats.latencies, default=0.0) * 1000, 1),
        'statuses': dict(sorted(stats.statuses.items())),
        'by_kind': {
            kind: {
                'requests': len(values),
                'p50_ms': round(stats.percentile(0.5, kind) * 1000, 1),
                'p99_ms': round(stats.percentile(0.99, kind) * 1000, 1),
            }
            for kind, values in sorted(stats.kind_latencies.items())
        },
        'problems': stats.samples,
    }
    if cpu_seconds is not None:
        doc['server_cpu_seconds'] = round(cpu_seconds, 1)
        doc['requests_per_server_cpu_second'] = round(stats.requests / cpu_seconds, 1)
    return doc


# ---------------------------------------------------------------------------------------------
# 2. A million mixed requests: memory


def figure_2(server: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    asyncio.run(load.seed(server.port))
    samples: list[tuple[int, int]] = []
    baseline: list[int] = []

    def progress(done: int) -> None:
        rss = server.rss_kib()
        samples.append((done, rss))
        if not baseline and done >= sizes.warmup_requests:
            baseline.append(rss)
        if done % 100_000 < 10_000:
            log(f'  figure 2: {done:,} requests, RSS {_mib(rss)}')

    stats = asyncio.run(
        load.run_mix(
            server.port,
            sizes.memory_connections,
            total=sizes.total_requests,
            record_latencies=False,
            on_progress=progress,
        )
    )
    final = server.rss_kib()
    start = baseline[0] if baseline else samples[0][1]
    after_warmup = [rss for done, rss in samples if done >= sizes.warmup_requests] + [final]
    growth = final - start
    peak_growth = max(after_warmup) - start
    passed = growth < 10 * 1024 and stats.errors == 0 and stats.unexpected == 0
    return Figure(
        2,
        f'{sizes.total_requests:,} mixed requests (example app)',
        f'RSS {_mib(start)} after {sizes.warmup_requests:,} warm-up requests, {_mib(final)} at '
        f'the end: growth {_mib(growth)} (peak {_mib(peak_growth)}); {stats.requests:,} '
        f'requests, {stats.errors} errors, {stats.unexpected} unexpected',
        'RSS growth < 10 MiB after warm-up',
        passed,
        {'stats': _stats_doc(stats), 'rss_samples_kib': samples[::5]},
    )


# ---------------------------------------------------------------------------------------------
# 3. WebSocket echo


def figure_3(server: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    closed_at: list[float] = []
    result = asyncio.run(
        clients.ws_echo(
            server.port,
            sizes.ws_clients,
            sizes.ws_seconds,
            lambda: closed_at.append(time.monotonic()),
        )
    )
    drained = wait_for(lambda: not server.get_json('/stats')['active'].get('ws'), 30.0)
    since_close = None if drained is None else time.monotonic() - closed_at[0]
    trips = sorted(result.round_trips)
    p99 = trips[int(len(trips) * 0.99) - 1] if trips else float('nan')
    passed = (
        result.connected == sizes.ws_clients
        and result.lost == 0
        and result.reordered == 0
        and since_close is not None
        and since_close <= 5.0
    )
    finished = 'not within 30 s' if since_close is None else f'{since_close:.2f} s'
    return Figure(
        3,
        f'{sizes.ws_clients:,} WebSocket clients, 1 message/s each for {sizes.ws_seconds:.0f} s',
        f'{result.connected:,} connected, {result.sent:,} sent, {result.received:,} echoed, '
        f'{result.lost} lost, {result.reordered} out of order, round trip p99 {_ms(p99)}; all '
        f'handlers finished {finished} after the clients left',
        '0 lost or reordered; handlers finished within 5 s',
        passed,
        {'failed_connects': result.failed_connects, 'problems': result.problems},
    )


# ---------------------------------------------------------------------------------------------
# 4. SSE fan-out with a forced reconnect


async def _sse_run(server: Server, sizes: Sizes, log: Callable[[str], None]) -> dict[str, Any]:
    subscribers = [
        clients.Subscriber(server.port, '/notifications') for _ in range(sizes.sse_subscribers)
    ]
    gate = asyncio.Semaphore(100)

    async def connect(sub: clients.Subscriber) -> None:
        async with gate:
            await sub.connect()

    await asyncio.gather(*(connect(sub) for sub in subscribers))
    half = sizes.sse_events // 2
    created: list[int] = []

    async def publish(count: int, pause: float) -> None:
        conn = await load.open_connection(server.port)
        try:
            for number in range(count):
                body = f'{{"title": "event {number}"}}'.encode()
                status, _, _ = await conn.request(
                    b'POST /notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json'
                    b'\r\nContent-Length: %d\r\n\r\n%s' % (len(body), body)
                )
                if status != 201:
                    raise RuntimeError(f'publishing failed: {status}')
                created.append(number)
                await asyncio.sleep(pause)
        finally:
            conn.close()

    async def everyone_has(count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(len(sub.ids) >= count for sub in subscribers):
                return True
            await asyncio.sleep(0.05)
        return False

    await publish(half, 0.02)
    first_half = await everyone_has(half, 60)
    log(f'  figure 4: first {half} events delivered to all: {first_half}; forcing reconnects')
    # Every subscriber vanishes and comes back with Last-Event-ID while publishing goes on.
    publisher = asyncio.get_running_loop().create_task(publish(sizes.sse_events - half, 0.02))

    async def reconnect(sub: clients.Subscriber) -> None:
        await sub.drop()
        async with gate:
            await sub.connect()

    await asyncio.gather(*(reconnect(sub) for sub in subscribers))
    await publisher
    complete = await everyone_has(sizes.sse_events, 60)
    broken = 0
    duplicates = 0
    missing = 0
    firsts = set()
    for sub in subscribers:
        sequence = clients.event_sequence(sub.ids)
        if sequence:
            firsts.add(sequence[0])
        expected = list(range(sequence[0], sequence[0] + sizes.sse_events)) if sequence else []
        if sequence != expected:
            broken += 1
        duplicates += len(sequence) - len(set(sequence))
        missing += max(0, sizes.sse_events - len(set(sequence)))
    errors = [sub.error for sub in subscribers if sub.error]
    for sub in subscribers:
        await sub.drop()
    return {
        'complete': complete and first_half,
        'broken': broken,
        'duplicates': duplicates,
        'missing': missing,
        'first_ids': sorted(firsts),
        'reconnects': sum(sub.connects for sub in subscribers) - len(subscribers),
        'errors': errors[:5],
    }


def figure_4(server: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    fds_before = server.fd_count()
    outcome = asyncio.run(_sse_run(server, sizes, log))
    cleaned = wait_for(lambda: server.fd_count() <= fds_before, 10.0)
    passed = (
        outcome['complete']
        and outcome['broken'] == 0
        and len(outcome['first_ids']) == 1
        and not outcome['errors']
    )
    delivered = sizes.sse_subscribers * sizes.sse_events - outcome['missing']
    return Figure(
        4,
        f'{sizes.sse_subscribers:,} SSE subscribers (example app), {sizes.sse_events} events, '
        'all forced to reconnect half-way',
        f'{delivered:,} of {sizes.sse_subscribers * sizes.sse_events:,} deliveries, '
        f'{outcome["missing"]} missing, {outcome["duplicates"]} duplicated, '
        f'{outcome["broken"]} subscribers with non-contiguous ids, {outcome["reconnects"]:,} '
        f'reconnects with Last-Event-ID; connections released '
        f'{_within(cleaned)}',
        'every event to every subscriber; ids contiguous across the reconnect',
        passed,
        outcome,
    )


# ---------------------------------------------------------------------------------------------
# 5. Abandoned streams


def figure_5(server: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    rows = {}
    for kind, path, read_body in (('resp.stream', '/stream', True), ('resp.sse', '/events', False)):

        async def open_and_vanish(path: str = path, read_body: bool = read_body) -> None:
            await asyncio.gather(
                *(clients.abandon(server.port, path, read_body) for _ in range(sizes.abandoned))
            )

        asyncio.run(open_and_vanish())

        def clean(kind: str = kind) -> bool:
            stats = server.get_json('/stats')
            if kind == 'resp.stream':
                return not stats['active'].get('stream')
            return not stats['subscribers']

        rows[kind] = wait_for(clean, 10.0)
        log(f'  figure 5, {kind}: cleaned up after {rows[kind]}')
    passed = all(value is not None and value <= 1.0 for value in rows.values())

    def show(value: float | None) -> str:
        return 'NOT within 10 s' if value is None else f'{value:.2f} s'

    return Figure(
        5,
        f'abandoned streams ({sizes.abandoned} clients vanish mid-response, per kind)',
        '; '.join(
            f'{kind}: all closed {show(value)} after the last client left'
            for kind, value in rows.items()
        ),
        'cleaned up within 1 s',
        passed,
        {kind: value for kind, value in rows.items()},
    )


# ---------------------------------------------------------------------------------------------
# 6. Normal traffic next to slow clients


def figure_6(
    server: Server, sizes: Sizes, baseline_rps: float, log: Callable[[str], None]
) -> Figure:
    async def run() -> tuple[load.Stats, dict[str, int], dict[str, Any]]:
        stop = asyncio.Event()
        counters: Counter[str] = Counter()
        half = sizes.slow_clients // 2
        tasks = [
            asyncio.create_task(clients.slow_reader(server.port, stop, counters))
            for _ in range(half)
        ] + [
            asyncio.create_task(clients.slow_uploader(server.port, stop, counters))
            for _ in range(sizes.slow_clients - half)
        ]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            active = server.get_json('/stats')['active']
            if active.get('download', 0) + active.get('upload', 0) >= sizes.slow_clients:
                break
            await asyncio.sleep(0.2)
        attached = dict(server.get_json('/stats')['active'])
        log(f'  figure 6: slow clients attached: {attached}')
        stats = await load.run_mix(server.port, sizes.connections, seconds=sizes.slow_seconds)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return stats, dict(counters), attached

    stats, counters, attached = asyncio.run(run())
    released = wait_for(
        lambda: not {'download', 'upload'} & set(server.get_json('/stats')['active']), 10.0
    )
    ratio = stats.rps / baseline_rps if baseline_rps else 0.0
    attached_total = attached.get('download', 0) + attached.get('upload', 0)
    passed = (
        ratio >= 0.8
        and stats.errors == 0
        and stats.unexpected == 0
        and attached_total >= sizes.slow_clients
    )
    return Figure(
        6,
        f'{sizes.slow_clients} slow clients attached (half slow readers, half slow uploads)',
        f'{attached_total} slow handlers running; normal traffic {_describe(stats)} = '
        f'{ratio:.0%} of figure 1; slow handlers released '
        f'{_within(released)}',
        '>= 80% of figure 1 throughput',
        passed,
        {'stats': _stats_doc(stats), 'attached': attached, 'clients': counters},
    )


# ---------------------------------------------------------------------------------------------
# 7. Large transfers


def figure_7(server: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    size = sizes.transfer_bytes
    with RSSSampler(server) as up_rss:
        answer, local = asyncio.run(clients.upload(server.port, 'fig7-up', size))
    upload_ok = answer['size'] == size and answer['sha256'] == local
    with RSSSampler(server) as down_rss:
        received, remote = asyncio.run(clients.download(server.port, 'fig7-down', size))
    download_ok = received == size and remote == sha256_of('fig7-down', size)
    # The same upload chunked (Transfer-Encoding, no Content-Length): never read as empty.
    with RSSSampler(server) as chunked_rss:
        chunked, chunked_local = asyncio.run(
            clients.upload(server.port, 'fig7-chunked', size, chunked=True)
        )
    chunked_ok = chunked['size'] == size and chunked['sha256'] == chunked_local
    passed = (
        upload_ok
        and download_ok
        and chunked_ok
        and up_rss.growth_kib < 64 * 1024
        and down_rss.growth_kib < 64 * 1024
        and chunked_rss.growth_kib < 64 * 1024
    )
    mib = size / MIB
    return Figure(
        7,
        f'{mib:.0f} MiB upload (sized and chunked) and {mib:.0f} MiB download',
        f'upload SHA-256 {"matches" if upload_ok else "DIFFERS"}, RSS growth '
        f'{_mib(up_rss.growth_kib)}; chunked upload {chunked["size"]:,} bytes, SHA-256 '
        f'{"matches" if chunked_ok else "DIFFERS"}, RSS growth {_mib(chunked_rss.growth_kib)}; '
        f'download SHA-256 {"matches" if download_ok else "DIFFERS"}, '
        f'RSS growth {_mib(down_rss.growth_kib)}',
        'SHA-256 kept; RSS growth < 64 MiB',
        passed,
        {'upload': answer, 'chunked_upload': chunked, 'download_bytes': received},
    )


# ---------------------------------------------------------------------------------------------
# 8. Shutdown under load

SHUTDOWN_GRACE = 20.0


def figure_8(server: Server, sizes: Sizes, log: Callable[[str], None]) -> Figure:
    """``server`` is ``lanner serve examples.app:app`` (graceful timeout SHUTDOWN_GRACE)."""
    count = sizes.shutdown_streams
    result = asyncio.run(
        shutdown.run(server.proc, server.port, sse=count, websockets=count, grace=SHUTDOWN_GRACE)
    )
    log_text = server.log_path.read_text('utf-8', 'replace')
    nothing_cancelled = 'timeout graceful shutdown exceeded' not in log_text
    passed = (
        result.sse_complete == count
        and sum(result.ws_close_codes.values()) == count
        and result.ws_without_close_frame == 0
        and set(result.ws_close_codes) <= {'1001', '1012'}
        and all(status == 201 for status in result.upload_statuses)
        and result.load_broken == 0
        and result.exited_after < SHUTDOWN_GRACE / 2
        and nothing_cancelled
    )
    codes = ', '.join(f'{n} x {code}' for code, n in sorted(result.ws_close_codes.items()))
    return Figure(
        8,
        f'SIGTERM with {count} SSE streams, {count} WebSockets, uploads and HTTP load in flight '
        '(lanner serve examples.app:app)',
        f'exit {result.exited_after:.2f} s after SIGTERM (graceful timeout '
        f'{SHUTDOWN_GRACE:.0f} s){"" if nothing_cancelled else ", tasks cancelled"}; SSE: '
        f'{result.sse_complete} ended cleanly, {result.sse_cut} cut; WebSockets: {codes}, '
        f'{result.ws_without_close_frame} without a close frame; uploads in flight '
        f'{result.upload_statuses}; HTTP load {result.load_answered} answered, '
        f'{result.load_broken} cut or 5xx',
        'every SSE body complete, every WebSocket a close frame (1001/1012), uploads 201, '
        'nothing cut, exit < half the graceful timeout',
        passed,
        result.__dict__,
    )
