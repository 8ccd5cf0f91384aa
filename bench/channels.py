"""Benchmark lanner-channels: events per second and fan-out latency with many subscribers.

    hatch run python bench/channels.py [--subscribers 1000] [--events 2000] [--backend both]

For each backend (memory, and Redis through a redis-server started on a free 127.0.0.1 port in a
temporary folder) it measures, in one process:

* throughput: ``--events`` events published back to back (each publish awaited, as a request
  handler would); the clock stops when every subscriber has received every event;
* latency: 200 events published 5 ms apart; for each delivery, the time from just before
  ``publish`` to the subscriber's iterator yielding it (p50 / p99 over every delivery).

Publisher and subscribers share one event loop, so the figures include the subscribers' own
work: they are a lower bound for what one worker process can fan out.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / 'packages' / name / 'src') for name in ('core', 'channels')]

from lanner.channels import Channels  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def start_redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which('redis-server')
    if binary is None:
        raise SystemExit('redis-server is not installed (apt-get install -y redis-server)')
    port = free_port()
    process = subprocess.Popen(
        [binary, '--bind', '127.0.0.1', '--port', str(port), '--dir', directory,
         '--save', '', '--appendonly', 'no', '--maxclients', '10000'],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5) as sock:
                sock.sendall(b'PING\r\n')
                if sock.recv(16).startswith(b'+PONG'):
                    return process, f'redis://127.0.0.1:{port}/0'
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit('redis-server did not start')


async def run_backend(channels: Channels, subscribers: int, events: int) -> dict[str, float]:
    await channels.start()
    received = [0] * subscribers
    latencies: list[float] = []
    target = [0]
    all_done = asyncio.Event()
    finished = [0]

    async def subscriber(index: int) -> None:
        async for _, data in channels.subscribe('bench'):
            if data[:1] == b'L':
                latencies.append(time.perf_counter() - float(data[1:]))
            received[index] += 1
            if received[index] == target[0]:
                finished[0] += 1
                if finished[0] == subscribers:
                    all_done.set()

    tasks = [asyncio.ensure_future(subscriber(i)) for i in range(subscribers)]
    for _ in range(6000):  # every subscription registers on its first iteration
        if channels.stats.subscribers == subscribers:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # the backend confirms the channel subscription

    # Throughput: publish back to back, stop when every subscriber has everything.
    target[0] = events
    started = time.perf_counter()
    for i in range(events):
        await channels.publish('bench', b'T%d' % i)
    await asyncio.wait_for(all_done.wait(), 300)
    elapsed = time.perf_counter() - started

    # Latency: paced publishes, so queues stay short and the figure is the path's own.
    latency_events = 200
    all_done.clear()
    finished[0] = 0
    target[0] = events + latency_events
    for _ in range(latency_events):
        await channels.publish('bench', b'L%r' % time.perf_counter())
        await asyncio.sleep(0.005)
    await asyncio.wait_for(all_done.wait(), 300)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    stats = channels.stats
    await channels.close()
    assert stats.drops == 0 and stats.gaps == 0, stats
    latencies.sort()
    return {
        'events_per_s': events / elapsed,
        'deliveries_per_s': events * subscribers / elapsed,
        'p50_ms': statistics.median(latencies) * 1000,
        'p99_ms': latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--subscribers', type=int, default=1000)
    parser.add_argument('--events', type=int, default=2000)
    parser.add_argument('--backend', choices=['memory', 'redis', 'both'], default='both')
    args = parser.parse_args()
    queue = args.events + 1000  # the throughput burst must not overflow anybody's queue
    results: dict[str, dict[str, float]] = {}
    if args.backend in ('memory', 'both'):
        channels = Channels(queue_size=queue)
        results['memory'] = asyncio.run(run_backend(channels, args.subscribers, args.events))
    if args.backend in ('redis', 'both'):
        from lanner.channels import RedisBackend

        with tempfile.TemporaryDirectory() as directory:
            process, url = start_redis(directory)
            try:
                channels = Channels(RedisBackend(url), queue_size=queue)
                results['redis'] = asyncio.run(run_backend(channels, args.subscribers, args.events))
            finally:
                process.terminate()
                process.wait(timeout=10)
    print(f'{args.subscribers} subscribers, {args.events} events (throughput run)')
    print(f'{"backend":<8} {"events/s":>10} {"deliveries/s":>13} {"p50 ms":>8} {"p99 ms":>8}')
    for name, r in results.items():
        print(
            f'{name:<8} {r["events_per_s"]:>10.0f} {r["deliveries_per_s"]:>13.0f} '
            f'{r["p50_ms"]:>8.2f} {r["p99_ms"]:>8.2f}'
        )


if __name__ == '__main__':
    main()
