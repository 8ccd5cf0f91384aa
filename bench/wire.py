"""Over-the-wire benchmark: lanner and Falcon 4.4 under uvicorn, driven by wrk, side by side.

    python bench/wire.py [--duration 5] [--connections 32] [--rounds 3]

Each framework's app (bench/wire_app.py) is served by one uvicorn worker on 127.0.0.1 (a free
port; lanner from this interpreter, Falcon from bench/.venv-falcon, where uvicorn and h11 are
installed at the same versions as here). wrk (one thread) then drives hello, path parameters and
a 1 KiB JSON POST. Rounds alternate between the frameworks; the median requests/s and the median
p99 latency over the rounds are reported. Servers are stopped by PID; every step has a timeout.

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
        self.proc = subprocess.Popen(
            [
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

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def run_wrk(port: int, scenario: str, duration: int, connections: int, tmp: Path) -> tuple:
    method, path, body = SCENARIOS[scenario]
    args = ['wrk', '-t1', f'-c{connections}', f'-d{duration}s', '--latency', '--timeout', '5s']
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
    out = subprocess.run(args, capture_output=True, text=True, timeout=duration + 30, check=True)
    text = out.stdout
    if 'Non-2xx' in text or 'Socket errors' in text:
        raise SystemExit(f'wrk saw errors for {scenario}:\n{text}')
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1))
    p99 = re.search(r'^\s*99%\s+([\d.]+)(us|ms|s)\s*$', text, re.M)
    scale = {'us': 0.001, 'ms': 1.0, 's': 1000.0}[p99.group(2)]
    return rps, float(p99.group(1)) * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=int, default=5, help='seconds per wrk run')
    parser.add_argument('--connections', type=int, default=32)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args()
    if shutil.which('wrk') is None:
        raise SystemExit('wrk is not installed: apt-get install -y wrk (or brew install wrk)')

    pythons = {'lanner': sys.executable, 'falcon': falcon_python_with_uvicorn()}
    results: dict[str, dict[str, list[tuple[float, float]]]] = {
        name: {scenario: [] for scenario in SCENARIOS} for name in pythons
    }
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, python in pythons.items():
                server = Server(python, name)
                try:
                    for scenario in SCENARIOS:
                        run_wrk(server.port, scenario, 1, args.connections, Path(tmp))  # warm-up
                        results[name][scenario].append(
                            run_wrk(
                                server.port, scenario, args.duration, args.connections, Path(tmp)
                            )
                        )
                finally:
                    server.stop()

    print(
        f'uvicorn (1 worker, h11, asyncio) on 127.0.0.1, wrk -t1 -c{args.connections} '
        f'-d{args.duration:g}s; median of {args.rounds} rounds'
    )
    print(
        f'{"":16}{"lanner req/s":>14}{"falcon req/s":>14}{"ratio":>8}{"lanner p99":>12}{"falcon p99":>12}'
    )
    for scenario in SCENARIOS:
        row = {}
        for name in pythons:
            runs = results[name][scenario]
            row[name] = (
                statistics.median(r for r, _ in runs),
                statistics.median(p for _, p in runs),
            )
        ratio = row['lanner'][0] / row['falcon'][0]
        print(
            f'{scenario:16}{row["lanner"][0]:>14,.0f}{row["falcon"][0]:>14,.0f}{ratio:>7.2f}x'
            f'{row["lanner"][1]:>10.2f}ms{row["falcon"][1]:>10.2f}ms'
        )


if __name__ == '__main__':
    main()
