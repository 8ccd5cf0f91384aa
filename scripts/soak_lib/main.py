"""Soak run of issue 11: start the servers, measure the seven figures, print the table.

    bash scripts/soak [--quick] [--only 1,3] [--markdown FILE] [--json FILE]

Everything runs on 127.0.0.1 against uvicorn (one worker each): the soak app
(``soak_lib/app.py``) on lanner and on Falcon 4.4 for figure 1, the example app
(``examples/app.py``) for figures 2 and 4. Every server is stopped by its PID; every loop is
bounded in count and time. The full run takes about 15 minutes on 2 cores; ``--quick`` shrinks
every figure for a smoke check (its numbers are not the issue's figures). The exit status is 1
when a figure misses its target.

The load generator is built in (``soak_lib/load.py``, asyncio, one process): each request
carries the status it expects, so errors and unexpected statuses are counted exactly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
import platform
import resource
import sys
import tempfile
import time
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # scripts/, so `soak_lib` imports when run as a file

from soak_lib import figures, servers  # noqa: E402

FIGURES = (1, 2, 3, 4, 5, 6, 7, 8)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    model = ''
    with open('/proc/cpuinfo') as cpuinfo:
        for line in cpuinfo:
            if line.startswith('model name'):
                model = line.split(':', 1)[1].strip()
                break
    with open('/proc/meminfo') as meminfo:
        total_kib = int(meminfo.readline().split()[1])
    return {
        'cores': os.cpu_count(),
        'cpu': model,
        'memory_gib': round(total_kib / 1024 / 1024),
        'python': platform.python_version(),
        'kernel': platform.release(),
    }


def _raise_fd_limit(wanted: int = 16384) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def run(
    selected: set[int], quick: bool, log_dir: Path
) -> tuple[list[figures.Figure], dict[str, Any]]:
    sizes = figures.Sizes.quick() if quick else figures.Sizes()
    results: list[figures.Figure] = []
    info: dict[str, Any] = {'machine': machine(), 'versions': {}}
    info['versions']['lanner'] = servers.versions(sys.executable)
    started: list[servers.Server] = []

    def start(name: str, target: str, **kwargs: Any) -> servers.Server:
        server = servers.start(name, target, log_dir, **kwargs)
        started.append(server)
        log(f'started {name} (PID {server.pid}) on 127.0.0.1:{server.port}')
        return server

    def stop(server: servers.Server) -> None:
        code = server.stop()
        started.remove(server)
        log(f'stopped {server.name} (PID {server.pid}), exit status {code}')

    try:
        baseline_rps = 0.0
        if selected & {1, 3, 6, 7}:
            lanner = start('soak-lanner', 'soak_lib.app:app', env={'SOAK_FRAMEWORK': 'lanner'})
            if 1 in selected or 6 in selected:
                python = servers.falcon_python(log)
                info['versions']['falcon'] = servers.versions(python)
                falcon = start(
                    'soak-falcon', 'soak_lib.app:app', python=python,
                    env={'SOAK_FRAMEWORK': 'falcon'},
                )  # fmt: skip
                log('figure 1 ...')
                first = figures.figure_1(lanner, falcon, sizes, log)
                baseline_rps = first.details['lanner']['rps']
                if 1 in selected:
                    results.append(first)
                stop(falcon)
            if 6 in selected:
                log('figure 6 ...')
                results.append(figures.figure_6(lanner, sizes, baseline_rps, log))
            if 7 in selected:
                log('figure 7 ...')
                results.append(figures.figure_7(lanner, sizes, log))
            if 3 in selected:
                log('figure 3 ...')
                results.append(figures.figure_3(lanner, sizes, log))
            stop(lanner)
        if selected & {2, 4}:
            example = start('example-app', 'examples.app:app')
            if 2 in selected:
                log('figure 2 ...')
                results.append(figures.figure_2(example, sizes, log))
            if 4 in selected:
                log('figure 4 ...')
                results.append(figures.figure_4(example, sizes, log))
            stop(example)
        if 5 in selected:
            # Its own server: streams that are never cleaned up would disturb other figures.
            streams = start('soak-streams', 'soak_lib.app:app', env={'SOAK_FRAMEWORK': 'lanner'})
            log('figure 5 ...')
            results.append(figures.figure_5(streams, sizes, log))
            stop(streams)
        if 8 in selected:
            # Ends with the server: SIGTERM is the measurement.
            serve = start('lanner-serve', 'examples.app:app', lanner_serve=figures.SHUTDOWN_GRACE)
            log('figure 8 ...')
            results.append(figures.figure_8(serve, sizes, log))
            stop(serve)
    finally:
        for server in list(started):
            server.stop()
    results.sort(key=lambda figure: figure.number)
    return results, info


def table(results: list[figures.Figure], info: dict[str, Any], quick: bool, seconds: float) -> str:
    m = info['machine']
    lanner_versions = info['versions']['lanner']
    falcon_versions = info['versions'].get('falcon', {})
    lines = [
        f'Soak run {"(--quick: reduced sizes, a smoke check)" if quick else "(full sizes)"}, '
        f'{dt.date.today().isoformat()}, {seconds / 60:.1f} min',
        '',
        f'Machine: {m["cores"]} cores ({m["cpu"]}), {m["memory_gib"]} GiB, Linux {m["kernel"]}, '
        f'Python {m["python"]}; uvicorn {lanner_versions.get("uvicorn")} (h11 '
        f'{lanner_versions.get("h11")}, one worker), websockets '
        f'{lanner_versions.get("websockets")}, lanner-core {lanner_versions.get("lanner-core")}'
        + (f', Falcon {falcon_versions.get("falcon")}' if falcon_versions else ''),
        '',
        '| # | figure | measured | target | result |',
        '| --- | --- | --- | --- | --- |',
    ]
    for figure in results:
        verdict = 'pass' if figure.passed else '**FAIL**'
        cells = (str(figure.number), figure.title, figure.measured, figure.target, verdict)
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument('--quick', action='store_true', help='reduced sizes: a smoke check')
    parser.add_argument('--only', default='', help='comma-separated figure numbers (default all)')
    parser.add_argument('--markdown', type=Path, help='also write the table to this file')
    parser.add_argument('--json', type=Path, help='write every measurement as JSON to this file')
    parser.add_argument('--logs', type=Path, help='keep server logs in this directory')
    args = parser.parse_args()
    selected = {int(x) for x in args.only.split(',') if x.strip()} or set(FIGURES)
    unknown = selected - set(FIGURES)
    if unknown:
        parser.error(f'unknown figure(s): {sorted(unknown)}; choose from 1-8')
    _raise_fd_limit()
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix='lanner-soak-'))
    log_dir.mkdir(parents=True, exist_ok=True)
    log(f'server logs: {log_dir}')
    log('load generator: built-in asyncio client (soak_lib/load.py); wrk is not needed')
    started = time.monotonic()
    results, info = run(selected, args.quick, log_dir)
    report = table(results, info, args.quick, time.monotonic() - started)
    print(report)
    if args.markdown:
        args.markdown.write_text(report + '\n')
    if args.json:
        doc = {
            'info': info,
            'quick': args.quick,
            'figures': [figure.__dict__ for figure in results],
        }
        args.json.write_text(json.dumps(doc, indent=2, default=str) + '\n')
    return 0 if all(figure.passed for figure in results) else 1


if __name__ == '__main__':
    sys.exit(main())
