"""Run the in-process benchmark: lanner and its peers side by side, in the same run.

    python bench/run.py [--seconds 0.5] [--rounds 3] [--only hello,raised_400] [--peers falcon]

Every peer is installed from PyPI into its own virtualenv (bench/.venv-<peer>, created on first
use), so no two frameworks share an interpreter: Falcon 4.4.0 (PyPI's wheel, compiled with
Cython), and the latest BlackSheep, Starlette and Litestar (ASGI only). Rounds alternate between
the frameworks and the best round per scenario is kept, which damps noise from other work on the
machine. Results are requests per CPU-second. The summary compares lanner with Falcon and with
the fastest peer in each scenario.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
from pathlib import Path
import subprocess
import sys
import venv

HERE = Path(__file__).resolve().parent
PEERS = {
    'falcon': 'falcon==4.4.0',
    'blacksheep': 'blacksheep',
    'starlette': 'starlette',
    'litestar': 'litestar',
}


def peer_python(name: str) -> str:
    """The interpreter of the peer's own virtualenv, created with its release on first use."""
    venv_dir = HERE / f'.venv-{name}'
    python = venv_dir / 'bin' / 'python'
    if not python.exists():
        print(f'creating {venv_dir.name} with {PEERS[name]} ...', file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
        subprocess.run(
            [str(python), '-m', 'pip', 'install', '--quiet', PEERS[name]],
            check=True,
        )
    return str(python)


def run_worker(python: str, framework: str, seconds: float, only: str) -> dict:
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    out = subprocess.run(
        [python, str(HERE / 'worker.py'), framework, str(seconds), only],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(HERE),
    )
    if out.returncode != 0:
        raise SystemExit(f'{framework} worker failed:\n{out.stderr}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def merge_best(best: dict, result: dict) -> None:
    for flavour, scores in result['results'].items():
        for name, value in scores.items():
            slot = best.setdefault(flavour, {})
            slot[name] = max(slot.get(name, 0.0), value)


def geometric_mean(values: list[float]) -> float:
    return math.exp(sum(map(math.log, values)) / len(values))


def print_tables(best: dict, versions: dict, frameworks: list[str], rounds: int) -> None:
    today = dt.date.today().isoformat()
    names = ', '.join(f'{f} {versions[f]}' for f in frameworks)
    print(f'in-process requests per CPU-second, best of {rounds} rounds ({today}): {names}')
    for flavour in ('wsgi', 'asgi'):
        present = [f for f in frameworks if best[f].get(flavour)]
        peers = [f for f in present if f != 'lanner']
        header = ''.join(f'{f:>12}' for f in present)
        print(f'\n{flavour.upper():<22}{header}{"vs falcon":>11}{"vs fastest":>12}  fastest peer')
        vs_falcon, vs_fastest = [], []
        for name, lanner_score in best['lanner'][flavour].items():
            scores = {f: best[f][flavour].get(name) for f in present}
            row = ''.join(f'{scores[f] or 0:>12,.0f}' for f in present)
            falcon = scores.get('falcon')
            ratio_falcon = lanner_score / falcon if falcon else float('nan')
            fastest = max((f for f in peers if scores[f]), key=lambda f: scores[f], default=None)
            ratio_fastest = lanner_score / scores[fastest] if fastest else float('nan')
            if falcon:
                vs_falcon.append(ratio_falcon)
            if fastest:
                vs_fastest.append(ratio_fastest)
            print(f'{name:<22}{row}{ratio_falcon:>10.2f}x{ratio_fastest:>11.2f}x  {fastest or "-"}')
        if vs_falcon:
            print(f'{"geometric mean vs falcon":<40}{geometric_mean(vs_falcon):>7.2f}x')
        if vs_fastest:
            print(f'{"geometric mean vs the fastest peer":<40}{geometric_mean(vs_fastest):>7.2f}x')
            worst = min(vs_fastest)
            print(f'{"lowest ratio vs the fastest peer":<40}{worst:>7.2f}x')
        raw = best.get('raw', {}).get(flavour, {}).get('hello')
        if raw:
            lanner_hello = best['lanner'][flavour]['hello']
            print(f'{"raw callable, hello":<22}{raw:>12,.0f}  (lanner at {lanner_hello / raw:.0%})')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=0.5, help='CPU seconds per scenario')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--only', default='', help='comma-separated scenario names')
    parser.add_argument(
        '--peers', default=','.join(PEERS), help=f'comma-separated, from {", ".join(PEERS)}'
    )
    parser.add_argument('--json', action='store_true', help='print raw JSON instead of a table')
    parser.add_argument(
        '--raw', action='store_true', help='also time hand-written raw callables (hello only)'
    )
    args = parser.parse_args()

    peers = [p for p in args.peers.split(',') if p]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        parser.error(f'unknown peer(s) {", ".join(unknown)}; choose from {", ".join(PEERS)}')
    runners = [('lanner', sys.executable)] + [(p, peer_python(p)) for p in peers]
    if args.raw:
        runners.append(('raw', sys.executable))
    best: dict = {framework: {} for framework, _ in runners}
    versions = {}
    for _ in range(args.rounds):
        for framework, python in runners:
            result = run_worker(python, framework, args.seconds, args.only)
            versions[framework] = result['version']
            merge_best(best[framework], result)

    if args.json:
        print(json.dumps({'versions': versions, 'best': best}, indent=2))
        return
    print_tables(best, versions, ['lanner', *peers], args.rounds)


if __name__ == '__main__':
    main()
