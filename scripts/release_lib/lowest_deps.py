"""Each distribution's tests with its dependencies at their lowest allowed versions.

``scripts/lowest-deps [DIST ...]`` (default: core and every member). For each distribution, in a
fresh virtualenv on the oldest Python its ``requires-python`` admits:

1. its third-party requirements and core's (all extras: a lower bound in an extra is a promise
   too) are installed with ``uv pip install --resolution lowest-direct``: every one of them as a
   direct requirement, so each lands on the lowest version its specifier allows;
2. core and the distribution itself are installed from this checkout, without dependencies;
3. the test tools of its isolation environment (``solo``, or ``core-only`` for core) are
   installed constrained to what step 1 chose, so they cannot lift a dependency back up;
4. the versions step 1 chose are printed, and the isolation environment's tests run from outside
   the source tree's packages (``tests/<member>``; ``tests/core`` for core). A member without a
   test folder is installed and imported only.

A lower bound that fails here is not honest: raise it in the distribution's pyproject.toml.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tempfile
import time

import dists
from dists import Dist
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
import tomllib


def third_party(dist: Dist) -> list[str]:
    """*dist*'s requirements and those of every extra, lanner distributions left out."""
    project = dist.config()['project']
    assert isinstance(project, dict)
    reqs = list(project.get('dependencies', []))
    for extra in project.get('optional-dependencies', {}).values():
        reqs.extend(extra)
    return [r for r in reqs if not canonicalize_name(Requirement(r).name).startswith('lanner-')]


def oldest_python(dist: Dist) -> str:
    """The oldest Python 3 minor version that *dist*'s requires-python admits."""
    project = dist.config()['project']
    assert isinstance(project, dict)
    spec = SpecifierSet(str(project.get('requires-python', '>=3.10')))
    return next(f'3.{minor}' for minor in range(8, 20) if spec.contains(f'3.{minor}.0'))


def find_python(version: str) -> str:
    """A path to a working ``python<version>``: on PATH, else in pyenv's versions folder.

    (pyenv's shims refuse versions that are installed but not selected.) Falls back to this
    interpreter, saying so, when the machine has no such Python: nothing is downloaded.
    """
    candidates = [shutil.which(f'python{version}')]
    pyenv_root = Path(os.environ.get('PYENV_ROOT', Path.home() / '.pyenv'))
    candidates += sorted(pyenv_root.glob(f'versions/{version}.*/bin/python{version}'), reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run([str(candidate), '-c', 'pass'], capture_output=True, check=False)
        if probe.returncode == 0:
            return str(candidate)
    print(f'    WARNING: no Python {version} on this machine; using {sys.version.split()[0]}')
    return sys.executable


def isolation_env(dist: Dist) -> tuple[list[str], str | None]:
    """(test tools, test folder) of *dist*'s isolation environment in the root pyproject.toml."""
    envs = tomllib.loads((dists.ROOT / 'pyproject.toml').read_text('utf-8'))['tool']['hatch'][
        'envs'
    ]
    if dist.package_dir == 'lanner':
        env = envs['core-only']
        member = None
    else:
        env = envs['solo']
        member = dist.folder.removeprefix('packages/')
        matrix = [m for entry in env.get('matrix', []) for m in entry.get('member', [])]
        if member not in matrix:
            return list(env['dependencies']), None
    folder = f'tests/{member}' if member else 'tests/core'
    return list(env['dependencies']), folder if (dists.ROOT / folder).is_dir() else None


def uv(*args: str | Path) -> str:
    cmd = [sys.executable, '-m', 'uv', *map(str, args)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f'{" ".join(cmd[2:])} failed:\n{result.stdout}{result.stderr}')
    return result.stdout


def installed(python: Path) -> dict[str, str]:
    frozen = uv('pip', 'freeze', '--python', python)
    pins = {}
    for line in frozen.splitlines():
        match = re.fullmatch(r'([A-Za-z0-9_.-]+)==(\S+)', line.strip())
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def check_one(
    dist: Dist, core: Dist, work: Path, python_version: str | None, resolution: str
) -> bool:
    started = time.monotonic()
    pyver = python_version or oldest_python(dist)
    venv = work / dist.name
    uv('venv', '--quiet', '--python', find_python(pyver), venv)
    python = venv / 'bin' / 'python'

    direct = sorted(set(third_party(dist)) | set(third_party(core)))
    uv('pip', 'install', '--quiet', '--python', python, '--resolution', resolution, *direct)
    chosen = installed(python)
    print(f'--- {dist.name} on Python {pyver}: direct requirements, resolution {resolution}')
    for req in direct:
        name = canonicalize_name(Requirement(req).name)
        print(f'    {req:28} -> {chosen.get(name, "NOT INSTALLED")}')

    # Editable, as in the isolation environments: each distribution keeps its own folder.
    editable = [arg for path in sorted({core.path, dist.path}) for arg in ('-e', str(path))]
    uv('pip', 'install', '--quiet', '--python', python, '--no-deps', *editable)
    tools, tests = isolation_env(dist)
    constraints = work / f'{dist.name}-constraints.txt'
    constraints.write_text(''.join(f'{n}=={v}\n' for n, v in chosen.items()), encoding='utf-8')
    uv('pip', 'install', '--quiet', '--python', python, '-c', constraints, *tools)
    uv('pip', 'check', '--python', python)

    if tests is None:
        module = dist.package_dir.replace('/', '.') if dist.package_dir else 'lanner'
        cmd = [str(python), '-c', f'import {module}; print("imported", {module}.__name__)']
        what = f'import {module} (no solo tests for {dist.name})'
    else:
        cmd = [
            str(python),
            '-m',
            'pytest',
            tests,
            '-q',
            '-p',
            'no:cacheprovider',
            '--continue-on-collection-errors',
        ]
        what = f'pytest {tests}'
    # From the repository root (the tests import tests/support), but with nothing of packages/
    # on the path: lanner comes from the virtualenv alone.
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
    result = subprocess.run(cmd, cwd=dists.ROOT, env=env, capture_output=True, text=True)
    tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
    for line in tail:
        print(f'    {line}')
    ok = result.returncode == 0
    status = 'ok' if ok else 'FAILED'
    print(f'    {what}: {status} in {time.monotonic() - started:.0f} s')
    if not ok:
        print(result.stdout[-6000:], result.stderr[-3000:], sep='\n')
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='scripts/lowest-deps', description=__doc__.splitlines()[0]
    )
    parser.add_argument('dists', nargs='*', help='distributions (default: core and every member)')
    parser.add_argument('--python', help='Python version (default: the oldest requires-python)')
    parser.add_argument(
        '--resolution',
        default='lowest-direct',
        help='uv resolution; "highest" gives a control run for telling a bound from a bug',
    )
    parser.add_argument('--keep', action='store_true', help='keep the virtualenvs')
    args = parser.parse_args(argv)
    everything = dists.discover()
    core = next(d for d in everything if d.package_dir == 'lanner')
    selected = [dists.find(n) for n in args.dists] if args.dists else everything[1:]
    selected = [d for d in selected if not d.is_meta]
    # Never download an interpreter: use the ones this machine has.
    os.environ.setdefault('UV_PYTHON_DOWNLOADS', 'never')
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix='lowest-deps-'))
    failed = []
    try:
        for dist in selected:
            try:
                if not check_one(dist, core, work, args.python, args.resolution):
                    failed.append(dist.name)
            except RuntimeError as exc:
                print(f'    {dist.name}: {exc}')
                failed.append(dist.name)
    finally:
        if args.keep:
            print(f'virtualenvs kept in {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - started
    names = f' ({", ".join(failed)})' if failed else ''
    passed = len(selected) - len(failed)
    print(f'lowest-deps: {passed} passed, {len(failed)} failed in {elapsed:.0f} s{names}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
