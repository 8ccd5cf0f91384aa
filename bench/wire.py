"""Over-the-wire benchmark: lanner and Falcon 4.4 under uvicorn, driven by wrk, side by side.

    python bench/wire.py [--duration 3] [--connections 32] [--rounds 7] [--http h11|httptools]
                         [--mode sequential|concurrent] [--scenario NAME]... [--verbose]

Each framework's app (bench/wire_app.py) is served by one uvicorn worker on 127.0.0.1 (a free
port; lanner from this interpreter, Falcon from bench/.venv-falcon, where uvicorn and h11 are
installed at the same versions as here), pinned to the last CPU; wrk (one thread per run, pinned
to the first CPU) drives hello, path parameters and a 1 KiB JSON POST. ``--http httptools``
serves with uvicorn's httptools protocol (what ``uvicorn[standard]`` installs; the script
installs the same httptools release in both environments) instead of h11.

Both servers stay up for the whole run, and every round drives every scenario against both:

* ``sequential`` (default): one framework after the other, the order swapping every round.
  Each run has the server core to itself, so p99 latency means what it says; but this machine's
  speed drifts by 10-30% over seconds, so single runs differ by more than the frameworks do.
* ``concurrent``: one wrk per framework at the same time, both servers sharing one core. The
  scheduler splits the core evenly between two busy processes, so each framework's throughput
  is its cost per request seen through the same half-core at the same moment; drift hits both
  alike, and the ratio is steady to about 1% (latency then includes waiting for the other
  server's time slice, the same for both).

Reported: the median requests/s, p99 latency and server CPU time per request (user + system,
from /proc) over the rounds, and, per round pair, the ratio lanner/Falcon: its median, the
rounds lanner won, and a bootstrap 95% interval for that median. Servers are stopped by PID
(SIGINT, then SIGKILL); every step has a timeout. Linux only.

wrk is a system package: ``apt-get install -y wrk`` (Debian/Ubuntu) or ``brew install wrk``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
import os
from pathlib import Path
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenarios  # noqa: E402

UVICORN_VERSION = 'uvicorn==0.54.0'
H11_VERSION = 'h11==0.16.0'
HTTPTOOLS_VERSION = 'httptools==0.9.0'

CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else []

SCENARIOS = {
    'hello': ('GET', '/hello', None),
    'path_params': ('GET', '/api/v1/users/42/items/abc-123', None),
    'json_post_1k': ('POST', '/echo', scenarios.PAYLOAD_1K),
}


def ensure_module(python: str, module: str, *requirements: str) -> None:
    """Install ``requirements`` into ``python``'s environment if ``module`` does not import."""
    probe = subprocess.run([python, '-c', f'import {module}'], capture_output=True)
    if probe.returncode != 0:
        print(f'installing {" ".join(requirements)} into {python} ...', file=sys.stderr)
        subprocess.run([python, '-m', 'pip', 'install', '--quiet', *requirements], check=True)


def falcon_python_with_uvicorn() -> str:
    from run import falcon_python

    python = falcon_python()
    ensure_module(python, 'uvicorn', UVICORN_VERSION, H11_VERSION)
    return python


def ensure_httptools(pythons: Iterable[str]) -> None:
    """The same httptools release in both environments (a benchmark-only dependency)."""
    for python in pythons:
        ensure_module(python, 'httptools', HTTPTOOLS_VERSION)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


class Server:
    """One uvicorn worker serving bench/wire_app.py for one framework."""

    def __init__(self, python: str, framework: str, http: str) -> None:
        self.port = free_port()
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        env['BENCH_FRAMEWORK'] = framework
        # Pinned to the last CPU (wrk gets the first) when the machine has several, so that the
        # server and the load generator do not take turns on one core.
        pin = ['taskset', '-c', str(CPUS[-1])] if len(CPUS) > 1 and shutil.which('taskset') else []
        self.proc = subprocess.Popen(
            [
                *pin,
                python,
                '-m',
                'uvicorn',
                'wire_app:app',
                '--host',
                '127.0.0.1',
                '--port',
                str(self.port),
                '--workers',
                '1',
                '--no-access-log',
                '--log-level',
                'warning',
                '--http',
                http,
                '--loop',
                'asyncio',
                '--lifespan',
                'off',
            ],
            cwd=str(HERE),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{self.port}/hello', timeout=1):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f'{framework} server did not start') from None
                time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (Linux /proc)."""
        with open(f'/proc/{self.proc.pid}/stat') as stat:
            fields = stat.read().rpartition(')')[2].split()
        # Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the ')' of comm.
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


Run = tuple[float, float, float]  # requests/s, p99 latency in ms, server CPU us per request


def wrk_command(
    server: Server, scenario: str, duration: int, connections: int, tmp: Path
) -> list[str]:
    method, path, body = SCENARIOS[scenario]
    pin = ['taskset', '-c', str(CPUS[0])] if len(CPUS) > 1 and shutil.which('taskset') else []
    args = [
        *pin,
        'wrk',
        '-t1',
        f'-c{connections}',
        f'-d{duration}s',
        '--latency',
        '--timeout',
        '5s',
    ]
    if body is not None:
        body_file = tmp / 'body.json'
        body_file.write_bytes(body)
        script = tmp / f'{scenario}.lua'
        script.write_text(
            f'wrk.method = "{method}"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'local f = io.open("{body_file}", "rb")\n'
            'wrk.body = f:read("*a")\n'
            'f:close()\n'
        )
        args += ['-s', str(script)]
    args.append(f'http://127.0.0.1:{server.port}{path}')
    return args


def run_wrk(
    servers: list[Server], scenario: str, duration: int, connections: int, tmp: Path
) -> list[Run]:
    """wrk against each of ``servers`` at the same time (one wrk process per server)."""
    cpu_before = [server.cpu_seconds() for server in servers]
    procs = [
        subprocess.Popen(
            wrk_command(server, scenario, duration, connections, tmp),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for server in servers
    ]
    outputs = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=duration + 30)
        except subprocess.TimeoutExpired:
            for other in procs:
                other.kill()
            raise SystemExit(f'wrk did not finish within {duration + 30} s') from None
        if proc.returncode != 0:
            raise SystemExit(f'wrk failed ({proc.returncode}): {err}')
        outputs.append(out)
    runs = []
    for server, before, text in zip(servers, cpu_before, outputs, strict=True):
        cpu_used = server.cpu_seconds() - before
        if 'Non-2xx' in text or 'Socket errors' in text:
            raise SystemExit(f'wrk saw errors for {scenario}:\n{text}')
        rps = float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1))
        p99 = re.search(r'^\s*99%\s+([\d.]+)(us|ms|s)\s*$', text, re.M)
        scale = {'us': 0.001, 'ms': 1.0, 's': 1000.0}[p99.group(2)]
        count = int(re.search(r'(\d+) requests in', text).group(1))
        runs.append((rps, float(p99.group(1)) * scale, cpu_used / count * 1e6))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=int, default=3, help='seconds per wrk run')
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument(
        '--http',
        choices=('h11', 'httptools'),
        default='h11',
        help="uvicorn's HTTP/1.1 implementation (httptools is what uvicorn[standard] installs)",
    )
    parser.add_argument(
        '--scenario', action='append', choices=sorted(SCENARIOS), help='run only these (repeatable)'
    )
    parser.add_argument(
        '--mode',
        choices=('sequential', 'concurrent'),
        default='sequential',
        help='sequential: one framework at a time, alternating; concurrent: both at once, '
        'sharing the server core (see the module docstring)',
    )
    parser.add_argument('--verbose', action='store_true', help='print every run as it finishes')
    args = parser.parse_args()
    scenarios_run = args.scenario or list(SCENARIOS)
    if shutil.which('wrk') is None:
        raise SystemExit('wrk is not installed: apt-get install -y wrk (or brew install wrk)')

    pythons = {'lanner': sys.executable, 'falcon': falcon_python_with_uvicorn()}
    if args.http == 'httptools':
        ensure_httptools(pythons.values())
    results: dict[str, dict[str, list[Run]]] = {
        name: {scenario: [] for scenario in scenarios_run} for name in pythons
    }
    servers: dict[str, Server] = {}
    try:
        # Both servers stay up (each idles while the other is driven), and every round runs
        # each scenario against both, swapping which goes first, so that load from other
        # processes hits both frameworks alike.
        for name, python in pythons.items():
            servers[name] = Server(python, name, args.http)
        with tempfile.TemporaryDirectory() as tmp:
            for server in servers.values():
                for scenario in scenarios_run:
                    run_wrk([server], scenario, 1, args.connections, Path(tmp))  # warm-up
            order = list(servers)
            for round_no in range(args.rounds):
                for scenario in scenarios_run:
                    if args.mode == 'concurrent':
                        batches = [order]
                    else:
                        batches = [[name] for name in order]
                    for batch in batches:
                        runs = run_wrk(
                            [servers[name] for name in batch],
                            scenario,
                            args.duration,
                            args.connections,
                            Path(tmp),
                        )
                        for name, run in zip(batch, runs, strict=True):
                            results[name][scenario].append(run)
                            if args.verbose:
                                print(
                                    f'round {round_no + 1} {scenario} {name}: {run[0]:,.0f} '
                                    f'req/s, p99 {run[1]:.2f} ms, {run[2]:.1f} us CPU/req',
                                    flush=True,
                                )
                order.reverse()
    finally:
        for server in servers.values():
            server.stop()

    print(
        f'uvicorn (1 worker, {args.http}, asyncio) on 127.0.0.1, wrk -t1 -c{args.connections} '
        f'-d{args.duration}s, {args.mode}; median of {args.rounds} rounds'
    )
    print(
        f'{"":14}{"req/s lanner":>13}{"falcon":>9}{"ratio":>7}{"p99 lanner":>12}{"falcon":>9}'
        f'{"server CPU/req lanner":>23}{"falcon":>9}{"ratio":>7}'
    )
    for scenario in scenarios_run:
        row = {}
        for name in pythons:
            runs = results[name][scenario]
            row[name] = [statistics.median(run[i] for run in runs) for i in range(3)]
        lanner, falcon = row['lanner'], row['falcon']
        print(
            f'{scenario:14}{lanner[0]:>13,.0f}{falcon[0]:>9,.0f}{lanner[0] / falcon[0]:>6.2f}x'
            f'{lanner[1]:>10.2f}ms{falcon[1]:>7.2f}ms'
            f'{lanner[2]:>21.0f}us{falcon[2]:>7.0f}us{falcon[2] / lanner[2]:>6.2f}x'
        )
    print()
    together = 'at the same time' if args.mode == 'concurrent' else 'back to back'
    print(f'paired rounds (each round runs both frameworks {together}, so a pair shares the')
    print("machine's conditions): median of the per-round ratios, rounds lanner won, and a 95%")
    print('interval for the median ratio (bootstrap over rounds)')
    print(f'{"":14}{"req/s ratio":>24}{"p99 ratio (falcon/lanner)":>34}{"CPU/req ratio":>26}')
    for scenario in scenarios_run:
        ours, theirs = results['lanner'][scenario], results['falcon'][scenario]
        cells = []
        for index, higher_is_better in ((0, True), (1, False), (2, False)):
            ratios = [
                (a[index] / b[index]) if higher_is_better else (b[index] / a[index])
                for a, b in zip(ours, theirs, strict=True)
            ]
            low, high = bootstrap_median_interval(ratios)
            won = sum(ratio >= 1.0 for ratio in ratios)
            cells.append(
                f'{statistics.median(ratios):.3f}x {won:>2}/{len(ratios)} [{low:.3f}, {high:.3f}]'
            )
        print(f'{scenario:14}' + ''.join(f'{cell:>30}' for cell in cells))


def bootstrap_median_interval(values: list[float], resamples: int = 2000) -> tuple[float, float]:
    """A 95% percentile-bootstrap interval for the median of ``values`` (seeded: repeatable)."""
    rng = random.Random(1)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return medians[int(resamples * 0.025)], medians[int(resamples * 0.975) - 1]


if __name__ == '__main__':
    main()
