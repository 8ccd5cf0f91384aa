"""Over-the-wire benchmark: lanner and Falcon 4.4 under uvicorn, driven by wrk, side by side.

    python bench/wire.py [--duration 3] [--connections 32] [--rounds 7]

Each framework's app (bench/wire_app.py) is served by one uvicorn worker on 127.0.0.1 (a free
port; lanner from this interpreter, Falcon from bench/.venv-falcon, where uvicorn and h11 are
installed at the same versions as here). wrk (one thread) then drives hello, path parameters and
a 1 KiB JSON POST. Both servers stay up; each round drives every scenario against both (the
order swaps every round), and the median requests/s and median p99 latency over the rounds are
reported, with the server process's CPU time per request (user + system, from /proc): on a
shared machine wall-clock throughput swings with other load, CPU time per request much less.
Servers are stopped by PID (SIGINT, then SIGKILL); every step has a timeout. Linux only.

wrk is a system package: ``apt-get install -y wrk`` (Debian/Ubuntu) or ``brew install wrk``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
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

CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else []

SCENARIOS = {
    'hello': ('GET', '/hello', None),
    'path_params': ('GET', '/api/v1/users/42/items/abc-123', None),
    'json_post_1k': ('POST', '/echo', scenarios.PAYLOAD_1K),
}


def falcon_python_with_uvicorn() -> str:
    from run import falcon_python

    python = falcon_python()
    probe = subprocess.run([python, '-c', 'import uvicorn'], capture_output=True)
    if probe.returncode != 0:
        print(f'installing {UVICORN_VERSION} into the Falcon virtualenv ...', file=sys.stderr)
        subprocess.run(
            [python, '-m', 'pip', 'install', '--quiet', UVICORN_VERSION, H11_VERSION], check=True
        )
    return python


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


class Server:
    """One uvicorn worker serving bench/wire_app.py for one framework."""

    def __init__(self, python: str, framework: str) -> None:
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
                'h11',
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


def run_wrk(
    server: Server, scenario: str, duration: int, connections: int, tmp: Path
) -> tuple[float, float, float]:
    """One wrk run: (requests/s, p99 latency in ms, server CPU microseconds per request)."""
    port = server.port
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
    args.append(f'http://127.0.0.1:{port}{path}')
    cpu_before = server.cpu_seconds()
    out = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30, check=True)
    cpu_used = server.cpu_seconds() - cpu_before
    text = out.stdout
    if 'Non-2xx' in text or 'Socket errors' in text:
        raise SystemExit(f'wrk saw errors for {scenario}:\n{text}')
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1))
    p99 = re.search(r'^\s*99%\s+([\d.]+)(us|ms|s)\s*$', text, re.M)
    scale = {'us': 0.001, 'ms': 1.0, 's': 1000.0}[p99.group(2)]
    count = int(re.search(r'(\d+) requests in', text).group(1))
    return rps, float(p99.group(1)) * scale, cpu_used / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=int, default=3, help='seconds per wrk run')
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=7)
    parser.add_argument(
        '--scenario', action='append', choices=sorted(SCENARIOS), help='run only these (repeatable)'
    )
    parser.add_argument('--verbose', action='store_true', help='print every run as it finishes')
    args = parser.parse_args()
    scenarios_run = args.scenario or list(SCENARIOS)
    if shutil.which('wrk') is None:
        raise SystemExit('wrk is not installed: apt-get install -y wrk (or brew install wrk)')

    pythons = {'lanner': sys.executable, 'falcon': falcon_python_with_uvicorn()}
    results: dict[str, dict[str, list[tuple[float, float, float]]]] = {
        name: {scenario: [] for scenario in scenarios_run} for name in pythons
    }
    servers: dict[str, Server] = {}
    try:
        # Both servers stay up (each idles while the other is driven), and every round runs
        # each scenario against both, swapping which goes first, so that load from other
        # processes hits both frameworks alike.
        for name, python in pythons.items():
            servers[name] = Server(python, name)
        with tempfile.TemporaryDirectory() as tmp:
            for server in servers.values():
                for scenario in scenarios_run:
                    run_wrk(server, scenario, 1, args.connections, Path(tmp))  # warm-up
            order = list(servers)
            for round_no in range(args.rounds):
                for scenario in scenarios_run:
                    for name in order:
                        run = run_wrk(
                            servers[name], scenario, args.duration, args.connections, Path(tmp)
                        )
                        results[name][scenario].append(run)
                        if args.verbose:
                            print(
                                f'round {round_no + 1} {scenario} {name}: {run[0]:,.0f} req/s, '
                                f'p99 {run[1]:.2f} ms, {run[2]:.1f} us CPU/req',
                                flush=True,
                            )
                order.reverse()
    finally:
        for server in servers.values():
            server.stop()

    print(
        f'uvicorn (1 worker, h11, asyncio) on 127.0.0.1, wrk -t1 -c{args.connections} '
        f'-d{args.duration}s; median of {args.rounds} rounds'
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


if __name__ == '__main__':
    main()
