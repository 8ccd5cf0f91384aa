"""Import time and memory per Request/Response pair, lanner vs Falcon 4.4 side by side.

    python bench/footprint.py [--runs 15] [--pairs 20000]

Import time: ``python -S -X importtime -c "import <framework>"`` in a fresh, bare interpreter per
run (no site hooks; the framework's directory is the only sys.path addition), reading the
cumulative microseconds of the top-level package. Bytecode caches are warm, so "cold" means a
new process, not a cold disk. The median of the runs is reported.

Memory: each framework builds N Request/Response pairs from one prebuilt WSGI environ (and one
ASGI scope), keeps them all alive, and tracemalloc's traced-memory growth divided by N is the
size of one pair as constructed (attributes the frameworks create lazily are not counted).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import tracemalloc
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _site_packages(python: str) -> str:
    out = subprocess.run(
        [python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def import_time_us(python: str, module: str, path: str) -> int:
    """Cumulative import time of ``module`` in a bare interpreter (``-S``: no site hooks).

    ``site`` processing imports different modules in different environments (``.pth`` files
    of other packages pull in ``re``, ``typing``, ``pathlib`` ...), which would then be charged
    to neither framework; with ``-S`` both start from the same bare interpreter, and ``path``
    (the framework's source or site-packages directory) is the only entry added to sys.path.
    """
    env = dict(os.environ)
    env['PYTHONPATH'] = path
    out = subprocess.run(
        [python, '-S', '-X', 'importtime', '-c', f'import {module}'],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(HERE),
        check=True,
    )
    for line in out.stderr.splitlines():
        parts = [part.strip() for part in line.split('|')]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise SystemExit(f'no import time line for {module}:\n{out.stderr[-2000:]}')


def measure_pairs(framework: str, pairs: int) -> dict[str, float]:
    """Run inside the framework's interpreter: bytes per Request/Response pair."""
    import importlib

    import worker

    fw = importlib.import_module(framework)
    fw_asgi = importlib.import_module(framework + '.asgi')
    spec = {'method': 'GET', 'path': '/hello', 'headers': [('accept', 'application/json')]}
    env = worker._environ(spec)
    scope = worker._scope(spec)
    first_event = {'type': 'http.request', 'body': b'', 'more_body': False}

    async def receive() -> dict[str, Any]:
        return first_event

    results = {}
    builders = {
        'wsgi': (
            lambda opts: fw.Request(env, options=opts[0]),
            lambda opts: fw.Response(options=opts[1]),
            (fw.RequestOptions(), fw.ResponseOptions()),
        ),
        'asgi': (
            lambda opts: fw_asgi.Request(scope, receive, first_event=first_event, options=opts[0]),
            lambda opts: fw_asgi.Response(options=opts[1]),
            (fw.RequestOptions(), fw.ResponseOptions()),
        ),
    }
    for flavour, (make_req, make_resp, opts) in builders.items():
        make_req(opts), make_resp(opts)  # warm up (first-use caches, interned strings)
        kept: list[Any] = []
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(pairs):
            kept.append((make_req(opts), make_resp(opts)))
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        # The list of pairs itself (one pointer and one 2-tuple per pair) is not the frameworks'.
        overhead = sys.getsizeof(kept) + pairs * sys.getsizeof((None, None))
        results[flavour] = (after - before - overhead) / pairs
        del kept
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--pairs', type=int, default=20000)
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure_pairs(args.worker, args.pairs)))
        return

    from run import falcon_python

    pythons = {'lanner': sys.executable, 'falcon': falcon_python()}
    paths = {
        'lanner': str(HERE.parent / 'packages' / 'core' / 'src'),
        'falcon': _site_packages(pythons['falcon']),
    }
    imports = {name: [] for name in pythons}
    for _ in range(args.runs):
        for name, python in pythons.items():
            imports[name].append(import_time_us(python, name, paths[name]))
    memory = {}
    for name, python in pythons.items():
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        out = subprocess.run(
            [python, str(HERE / 'footprint.py'), '--worker', name, '--pairs', str(args.pairs)],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(HERE),
            check=True,
        )
        memory[name] = json.loads(out.stdout.strip().splitlines()[-1])

    lanner_ms = statistics.median(imports['lanner']) / 1000
    falcon_ms = statistics.median(imports['falcon']) / 1000
    print(f'import time, median of {args.runs} fresh interpreters (python -S -X importtime):')
    print(f'  import lanner {lanner_ms:8.1f} ms')
    print(f'  import falcon {falcon_ms:8.1f} ms   (lanner/falcon = {lanner_ms / falcon_ms:.2f})')
    print(f'memory per Request/Response pair (tracemalloc, {args.pairs} live pairs):')
    for flavour in ('wsgi', 'asgi'):
        lanner_b = memory['lanner'][flavour]
        falcon_b = memory['falcon'][flavour]
        print(
            f'  {flavour.upper()}: lanner {lanner_b:6.0f} B   falcon {falcon_b:6.0f} B   '
            f'(lanner/falcon = {lanner_b / falcon_b:.2f})'
        )


if __name__ == '__main__':
    main()
