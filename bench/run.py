"""Run the in-process benchmark: lanner and Falcon 4.4 side by side, in the same run.

    python bench/run.py [--seconds 0.5] [--rounds 3] [--only hello,raised_400]

Falcon is installed from PyPI into its own virtualenv (bench/.venv-falcon, created on first use)
so the two frameworks never share an interpreter. Rounds alternate between the frameworks and
the best round per scenario is kept, which damps noise from other work on the machine. Results
are requests per CPU-second; the ratio column is lanner / Falcon.
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
FALCON_VENV = HERE / '.venv-falcon'
FALCON_REQUIREMENT = 'falcon==4.4.0'
BIG_JSON = 'json_response_64k'


def falcon_python() -> str:
    python = FALCON_VENV / 'bin' / 'python'
    if not python.exists():
        print(f'creating {FALCON_VENV.name} with {FALCON_REQUIREMENT} ...', file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(FALCON_VENV)
        subprocess.run(
            [str(python), '-m', 'pip', 'install', '--quiet', FALCON_REQUIREMENT],
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=float, default=0.5, help='CPU seconds per scenario')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--only', default='', help='comma-separated scenario names')
    parser.add_argument('--json', action='store_true', help='print raw JSON instead of a table')
    parser.add_argument(
        '--raw', action='store_true', help='also time hand-written raw callables (hello only)'
    )
    args = parser.parse_args()

    fpython = falcon_python()
    best = {'lanner': {}, 'falcon': {}, 'raw': {}}
    versions = {}
    runners = [('lanner', sys.executable), ('falcon', fpython)]
    if args.raw:
        runners.append(('raw', sys.executable))
    for _ in range(args.rounds):
        for framework, python in runners:
            result = run_worker(python, framework, args.seconds, args.only)
            versions[framework] = result['version']
            merge_best(best[framework], result)

    if args.json:
        print(json.dumps({'versions': versions, 'best': best}, indent=2))
        return
    today = dt.date.today().isoformat()
    print(
        f'in-process requests per CPU-second, best of {args.rounds} rounds ({today}); '
        f'lanner {versions["lanner"]} vs falcon {versions["falcon"]}'
    )
    for flavour in ('wsgi', 'asgi'):
        print(f'\n{flavour.upper():<24}{"lanner":>12}{"falcon":>12}{"ratio":>8}')
        ratios = []
        for name, lanner_score in best['lanner'][flavour].items():
            falcon_score = best['falcon'][flavour][name]
            ratio = lanner_score / falcon_score
            ratios.append(ratio)
            print(f'{name:<24}{lanner_score:>12,.0f}{falcon_score:>12,.0f}{ratio:>7.2f}x')
        geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
        print(f'{"geometric mean":<48}{geo:>7.2f}x')
        # json_response_64k mostly measures orjson against the stdlib json module; show the
        # mean without it too, so that one scenario cannot carry the summary.
        rest = [
            r for name, r in zip(best['lanner'][flavour], ratios, strict=True) if name != BIG_JSON
        ]
        if len(rest) < len(ratios) and rest:
            geo_rest = math.exp(sum(map(math.log, rest)) / len(rest))
            print(f'{"  without " + BIG_JSON:<48}{geo_rest:>7.2f}x')
        raw = best['raw'].get(flavour, {}).get('hello')
        if raw:
            lanner_hello = best['lanner'][flavour]['hello']
            print(f'{"raw callable, hello":<24}{raw:>12,.0f}  (lanner at {lanner_hello / raw:.0%})')


if __name__ == '__main__':
    main()
