"""Falcon 4.4.0's own test suite, run against lanner: the conformance runner.

    scripts/falcon-conformance                 # the whole suite against lanner, with the ratchet
    scripts/falcon-conformance tests/test_hello.py -- -k basic
    scripts/falcon-conformance --target falcon # reference run: real, pure-Python Falcon

The run goes in rounds: pytest runs in a child process with the isolation plugin, which logs
each test's start and outcome. If pytest dies (an INTERNALERROR, a crash, a hard timeout), the
test that was running is recorded as failed and the next round resumes with every finished test
deselected. The report gives per-file counts and ends with ``N passed, M failed``.

The ratchet (tests/conformance/expected-failures.txt) fails the run on any failure not listed
and on any listed test that passes now.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from ratchet import check_ratchet, load_expected  # noqa: E402
from suite import FALCON_VERSION, cache_dir, fetch_sdist, unpack  # noqa: E402

# The suite's test dependencies (Falcon's requirements/tests) plus the timeout plugin that keeps
# one hanging test from hanging the run. Installed into the running interpreter.
SUITE_REQUIREMENTS = (
    # pytest 9's output capture calls os.fstat, which tests/test_static.py patches: 244 of its
    # tests then fail on real Falcon too.
    'pytest>=8,<9',
    'pytest-timeout>=2',
    'pyyaml',
    'requests',
    'aiofiles',
    'httpx',
    'uvicorn>=0.17',
    'websockets>=13.1',
    'cbor2',
    'msgpack',
    'mujson',
    'ujson',
    'python-rapidjson',
    'orjson',
    'msgspec',
    'jsonschema',
)

FAILING = ('failed', 'error')


def ensure_requirements(python: str) -> None:
    """pip install the suite's requirements (a no-op taking a second or two when all are met)."""
    subprocess.run(
        [python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
         *SUITE_REQUIREMENTS],
        check=True,
    )  # fmt: skip


def reference_python() -> str:
    """A cached virtualenv with real, pure-Python Falcon 4.4.0 (no Cython extensions)."""
    venv = cache_dir() / f'reference-falcon-{FALCON_VERSION}'
    python = venv / 'bin' / 'python'
    if not python.exists():
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True)
        env = dict(os.environ, FALCON_DISABLE_CYTHON='Y')
        subprocess.run(
            [str(python), '-m', 'pip', 'install', '--quiet', '--no-binary', 'falcon',
             f'falcon=={FALCON_VERSION}'],
            check=True, env=env,
        )  # fmt: skip
    ensure_requirements(str(python))
    return str(python)


def run_rounds(
    python: str, workdir: Path, selection: list[str], pytest_args: list[str], target: str,
    timeout: int | None,
) -> dict[str, str]:  # fmt: skip
    """Run pytest until every selected test has an outcome; returns node id -> outcome."""
    outcomes: dict[str, str] = {}
    log = workdir / 'outcomes.jsonl'
    deselect = workdir / 'deselect.txt'
    env = dict(os.environ)
    env.update(
        LANNER_CONFORMANCE_LOG=str(log),
        LANNER_CONFORMANCE_DESELECT=str(deselect),
        LANNER_CONFORMANCE_TARGET=target,
        PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), env.get('PYTHONPATH')])),
        PYTHONDONTWRITEBYTECODE='1',
    )
    env.pop('FALCON_ASGI_WRAP_NON_COROUTINES', None)
    env.pop('FALCON_TESTING_SESSION', None)
    command = [
        python, '-m', 'pytest', '-p', 'isolation', '-p', 'no:cacheprovider', '-q',
        '--no-header', '-rN', '--tb=no', '--continue-on-collection-errors',
        *([f'--timeout={timeout}'] if timeout else []), *(selection or ['tests']), *pytest_args,
    ]  # fmt: skip
    for round_number in range(1, 50):
        deselect.write_text(''.join(f'{nodeid}\n' for nodeid in outcomes), encoding='utf-8')
        log.write_text('', encoding='utf-8')
        proc = subprocess.run(command, cwd=workdir, env=env, stdout=subprocess.PIPE, text=True)
        running: str | None = None
        progress = 0
        for line in log.read_text(encoding='utf-8').splitlines():
            record = json.loads(line)
            if record['event'] == 'start':
                running = record['nodeid']
            elif record['nodeid'] not in outcomes:
                outcomes[record['nodeid']] = record['outcome']
                progress += 1
                if record['nodeid'] == running:
                    running = None
        if proc.returncode in (0, 1, 5) and running is None:
            return outcomes
        tail = '\n'.join(proc.stdout.splitlines()[-15:])
        if running is None:
            if progress == 0:
                raise SystemExit(
                    f'pytest stopped (exit {proc.returncode}) without progress:\n{tail}'
                )
            continue
        print(f'round {round_number}: pytest died (exit {proc.returncode}) while running {running};'
              f' recording it as failed and resuming.\n{tail}', flush=True)  # fmt: skip
        outcomes[running] = 'failed'
    raise SystemExit('pytest kept dying; giving up after 50 rounds')


def file_of(nodeid: str) -> str:
    return nodeid.split('::', 1)[0]


def print_report(outcomes: dict[str, str]) -> Counter[str]:
    per_file: dict[str, Counter[str]] = defaultdict(Counter)
    for nodeid, outcome in outcomes.items():
        per_file[file_of(nodeid)][outcome] += 1
    width = max((len(name) for name in per_file), default=10)
    print(f'\n{"file":<{width}}  passed  failed  skipped')
    for name in sorted(per_file):
        c = per_file[name]
        failed = c['failed'] + c['error']
        print(f'{name:<{width}}  {c["passed"]:>6}  {failed:>6}  {c["skipped"] + c["xfailed"]:>7}')
    totals: Counter[str] = Counter(outcomes.values())
    return totals


def reference_file() -> Path:
    return cache_dir() / f'reference-outcomes-{FALCON_VERSION}.json'


def run_suite(
    target: str, sdist: Path, selection: list[str], pytest_args: list[str], timeout: int
) -> dict[str, str]:
    if target == 'falcon':
        python = reference_python()
    else:
        python = sys.executable
        ensure_requirements(python)
    with tempfile.TemporaryDirectory(prefix='falcon-suite-') as tmp:
        workdir = unpack(sdist, Path(tmp))
        return run_rounds(python, workdir, selection, pytest_args, target, timeout)


def reference_outcomes(sdist: Path, timeout: int, refresh: bool = False) -> dict[str, str]:
    """The whole suite's outcomes on real Falcon: cached, or run now (a few minutes)."""
    path = reference_file()
    if path.exists() and not refresh:
        return dict(json.loads(path.read_text(encoding='utf-8')))
    print(f'reference run: the whole suite against real Falcon {FALCON_VERSION}', flush=True)
    outcomes = run_suite('falcon', sdist, [], [], timeout)
    path.write_text(json.dumps(outcomes, sort_keys=True), encoding='utf-8')
    return outcomes


def parity(outcomes: dict[str, str], reference: dict[str, str]) -> tuple[float, str]:
    """The share of the tests that pass on real Falcon which pass on lanner, and a summary."""
    passing = [nodeid for nodeid, outcome in reference.items() if outcome == 'passed']
    ok = sum(1 for nodeid in passing if outcomes.get(nodeid) == 'passed')
    share = 100 * ok / max(len(passing), 1)
    return share, (
        f'Falcon parity: {ok} of the {len(passing)} tests that pass on Falcon {FALCON_VERSION} '
        f'pass on lanner ({share:.2f}%)'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('selection', nargs='*', help='test files or node ids (default: all)')
    parser.add_argument('--target', choices=('lanner', 'falcon'), default='lanner')
    parser.add_argument('--no-ratchet', action='store_true', help='report only')
    parser.add_argument(
        '--min-parity', type=float, metavar='PERCENT',
        help='fail unless this share of the tests passing on real Falcon pass on lanner '
        '(runs the reference first when it is not cached)',
    )  # fmt: skip
    parser.add_argument('--timeout', type=int, default=60, help='seconds per test')
    parser.add_argument('--json', type=Path, help='write node id -> outcome here')
    parser.add_argument('--show-failures', action='store_true', help='list every failing test')
    parser.add_argument(
        '--unpack-to', type=Path, metavar='DIR',
        help='only unpack the suite into DIR and print how to run pytest there by hand',
    )  # fmt: skip
    args, pytest_args = parser.parse_known_args(argv)
    if '--' in pytest_args:
        pytest_args.remove('--')
    whole = not (args.selection or pytest_args)

    started = time.monotonic()
    sdist = fetch_sdist()
    if args.unpack_to:
        unpack(sdist, args.unpack_to)
        print(f'cd {args.unpack_to} && PYTHONPATH={HERE} python -m pytest -p isolation tests/...')
        return 0
    reference = None
    if args.min_parity is not None and whole:
        reference = reference_outcomes(sdist, args.timeout)
    if args.target == 'falcon' and whole:
        outcomes = reference_outcomes(sdist, args.timeout, refresh=True)
    else:
        outcomes = run_suite(args.target, sdist, args.selection, pytest_args, args.timeout)
    totals = print_report(outcomes)
    if args.json:
        args.json.write_text(json.dumps(outcomes, indent=1, sort_keys=True), encoding='utf-8')
    elapsed = time.monotonic() - started
    failed = totals['failed'] + totals['error']
    skipped = totals['skipped'] + totals['xfailed']
    if args.show_failures:
        for nodeid in sorted(n for n, o in outcomes.items() if o in FAILING):
            print(f'FAILED {nodeid}')
    if args.target == 'falcon':
        print(f'\nreference run against Falcon {FALCON_VERSION} took {elapsed:.0f} s')
        print(f'{totals["passed"]} passed, {failed} failed, {skipped} skipped')
        return 0
    status = 0
    if not args.no_ratchet:
        problems = check_ratchet(outcomes, load_expected(), partial=not whole)
        for problem in problems:
            print(problem)
        status = 1 if problems else 0
        print(f'\nratchet: {"FAILED" if problems else "ok"} ({len(problems)} problems)')
    if reference is None and whole and reference_file().exists():
        reference = reference_outcomes(sdist, args.timeout)
    if reference is not None:
        share, line = parity(outcomes, reference)
        print(line)
        if args.min_parity is not None and share < args.min_parity:
            print(f'parity below the required {args.min_parity:.2f}%')
            status = 1
    print(f'conformance run took {elapsed:.0f} s')
    print(f'{totals["passed"]} passed, {failed} failed, {skipped} skipped')
    return status


if __name__ == '__main__':
    raise SystemExit(main())
