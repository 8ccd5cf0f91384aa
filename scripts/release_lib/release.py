"""Release one distribution: ``scripts/release DIST LEVEL [--apply]``.

LEVEL is major, minor or patch. Every step runs in a temporary copy of the files involved, so a
dry run (the default) leaves the working tree exactly as it was; ``--apply`` writes the same
changes back only after every check passed. Steps:

1. bump the version in the distribution's version file;
2. compile its CHANGELOG.md from its fragments (towncrier; the fragments are consumed);
3. widen the meta-package's range for it in the root pyproject.toml when the new version falls
   outside (ranges are minor-compatible: ``>=0.2,<0.3``; ``>=1.4,<2`` from 1.0 on), adding a
   fragment to the meta-package's own changelog;
4. build the sdist, then the wheel from the sdist (uv build; hatchling from the index);
5. check them: ``twine check --strict``; name, version, requires-python and dependencies read
   back from the built metadata; the wheel holds exactly the distribution's own source files
   (``lanner/<member>/``, or core's ``lanner/``), plus any ``*.pth`` file of its folder;
6. print the tag to create, ``DIST==X.Y.Z``.

Needs towncrier, twine, uv and packaging: run it through ``scripts/release`` (Hatch env release).
"""

from __future__ import annotations

import argparse
import datetime
import difflib
import email.parser
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

import dists  # scripts/release_lib/ is on sys.path: this file runs as a script
from dists import Dist
import tomllib

LEVELS = ('major', 'minor', 'patch')
# Left out of the temporary copy: build output and caches, never part of a distribution.
COPY_IGNORE = shutil.ignore_patterns(
    '__pycache__', '*.pyc', 'dist', 'build', '*.egg-info', '.venv', '.mypy_cache'
)


class CheckFailed(Exception):
    """A built distribution is not what its pyproject.toml describes."""


# -- pure helpers (unit-tested in tests/repo/test_release_tools.py) ------------------------------


def bump(version: str, level: str) -> str:
    """The next *level* release after *version* (plain X.Y.Z only)."""
    match = re.fullmatch(r'(\d+)\.(\d+)\.(\d+)', version)
    if not match:
        raise ValueError(f'cannot bump {version!r}: expected a plain X.Y.Z version')
    major, minor, patch = map(int, match.groups())
    if level == 'major':
        return f'{major + 1}.0.0'
    if level == 'minor':
        return f'{major}.{minor + 1}.0'
    if level == 'patch':
        return f'{major}.{minor}.{patch + 1}'
    raise ValueError(f'unknown level {level!r}; expected one of {", ".join(LEVELS)}')


def compatible_range(version: str) -> str:
    """The meta-package's range for a member at *version*: every later compatible release.

    Before 1.0 a minor release may break, so the range stops at the next minor; from 1.0 on it
    stops at the next major.
    """
    major, minor = (int(part) for part in version.split('.')[:2])
    if major == 0:
        return f'>=0.{minor},<0.{minor + 1}'
    return f'>={major}.{minor},<{major + 1}'


def set_version(dist: Dist, text: str, new: str) -> str:
    """*text* of *dist*'s version file with its version replaced by *new* (quotes kept)."""
    if dist.is_meta:
        pattern = r'(?m)^(version\s*=\s*)(["\'])[^"\']*\2'
    else:
        pattern = r'(?m)^(__version__\s*=\s*)(["\'])[^"\']*\2'
    result, count = re.subn(pattern, lambda m: f'{m[1]}{m[2]}{new}{m[2]}', text, count=1)
    if count != 1:
        raise ValueError(f'no version assignment found in {dist.version_file}')
    return result


def meta_pins(pyproject_text: str, name: str) -> list[str]:
    """Every specifier the meta-package gives *name* (dependencies and extras)."""
    pattern = re.compile(rf'["\']{re.escape(name)}(?:\[[^\]]*\])?\s*([^"\';]*)["\']')
    return [spec.strip() for spec in pattern.findall(pyproject_text)]


def set_meta_range(pyproject_text: str, name: str, new_range: str) -> str:
    """*pyproject_text* with every requirement on *name* given *new_range* (extras kept)."""
    pattern = re.compile(rf'(["\']{re.escape(name)}(?:\[[^\]]*\])?)\s*[^"\';]*(["\'])')
    return pattern.sub(lambda m: f'{m[1]}{new_range}{m[2]}', pyproject_text)


def admits(specifier: str, version: str) -> bool:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(specifier).contains(version, prereleases=True)


def expected_requirements(project: dict[str, object]) -> set[str]:
    """Requires-Dist lines a wheel built from this ``[project]`` table must carry, normalised."""
    from packaging.requirements import Requirement

    wanted = {str(Requirement(str(req))) for req in project.get('dependencies', [])}  # type: ignore[attr-defined]
    extras = project.get('optional-dependencies', {})
    assert isinstance(extras, dict)
    for extra, reqs in extras.items():
        for req in reqs:
            parsed = Requirement(req)
            marker = f'({parsed.marker}) and ' if parsed.marker else ''
            parsed.marker = None
            wanted.add(str(Requirement(f'{parsed}; {marker}extra == "{extra}"')))
    return wanted


def wheel_problems(
    dist: Dist, names: list[str], source_files: set[str], pth: set[str]
) -> list[str]:
    """What is wrong with a wheel of *dist* holding *names*.

    *source_files* are the files the wheel must ship under its package directory (paths like
    ``lanner/sse/__init__.py``), *pth* the ``*.pth`` files it must carry at its root.
    """
    problems = []
    payload = {n for n in names if not n.split('/')[0].endswith('.dist-info')}
    if dist.package_dir is None:
        if payload:
            problems.append(f'the meta-package wheel must hold metadata only: {sorted(payload)}')
        return problems
    prefix = dist.package_dir + '/'
    stray = sorted(n for n in payload if not n.startswith(prefix) and n not in pth)
    if stray:
        problems.append(f'files outside {prefix}: {stray}')
    missing = sorted((source_files | pth) - payload)
    if missing:
        problems.append(f'source files missing from the wheel: {missing}')
    extra = sorted(n for n in payload - source_files - pth if n.startswith(prefix))
    if extra:
        problems.append(f'files in the wheel that are not sources: {extra}')
    for name in sorted({f'{prefix}py.typed', f'{prefix}__init__.py'} - payload):
        problems.append(f'{name} is missing')
    if dist.package_dir != 'lanner' and 'lanner/__init__.py' in payload:
        problems.append('a member must never ship lanner/__init__.py (it would shadow core)')
    return problems


# -- steps ---------------------------------------------------------------------------------------


def run(*cmd: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise CheckFailed(f'{" ".join(map(str, cmd))} failed:\n{result.stdout}{result.stderr}')
    return result.stdout + result.stderr


def copy_inputs(dist: Dist, work: Path) -> None:
    """Copy what the release touches into *work*, keeping the repository's layout."""
    shutil.copy2(dists.ROOT / 'pyproject.toml', work / 'pyproject.toml')
    if dist.is_meta:
        for name in ('README.md', dist.changelog):
            shutil.copy2(dists.ROOT / name, work / name)
        if (dists.ROOT / dist.fragment_dir).is_dir():
            shutil.copytree(dists.ROOT / dist.fragment_dir, work / dist.fragment_dir)
    else:
        shutil.copytree(dist.path, work / dist.folder, ignore=COPY_IGNORE)


def source_payload(dist: Dist, folder: Path, member_dirs: list[str]) -> set[str]:
    """Files under the distribution's package directory, as wheel paths."""
    if dist.package_dir is None:
        return set()
    src = folder / 'src'
    files = set()
    for path in (src / dist.package_dir).rglob('*'):
        rel = path.relative_to(src).as_posix()
        if path.is_file() and '__pycache__' not in rel and not rel.endswith('.pyc'):
            files.add(rel)
    if dist.package_dir == 'lanner':  # core: nothing of a member's directory
        files = {f for f in files if not any(f.startswith(m + '/') for m in member_dirs)}
    return files


def check_built(dist: Dist, work: Path, out: Path, version: str) -> list[str]:
    """Run every check on the built files in *out*; returns one line per check passed."""
    from packaging.metadata import Metadata
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    wheels, sdists = sorted(out.glob('*.whl')), sorted(out.glob('*.tar.gz'))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CheckFailed(f'expected one wheel and one sdist, found {os.listdir(out)}')
    passed = []
    twine = run(sys.executable, '-m', 'twine', 'check', '--strict', *wheels, *sdists)
    passed.append(f'twine check --strict: {twine.count("PASSED")} of 2 PASSED')

    config = tomllib.loads((work / dist.pyproject).read_text(encoding='utf-8'))
    project = config['project']
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        meta_name = next(n for n in names if n.endswith('.dist-info/METADATA'))
        metadata = Metadata.from_email(wheel.read(meta_name), validate=False)
    problems = []
    if canonicalize_name(metadata.name) != canonicalize_name(dist.name):
        problems.append(f'Name is {metadata.name}, expected {dist.name}')
    if str(metadata.version) != version:
        problems.append(f'Version is {metadata.version}, expected {version}')
    if metadata.requires_python != SpecifierSet(project['requires-python']):
        problems.append(
            f'Requires-Python is {metadata.requires_python}, expected {project["requires-python"]}'
        )
    have = {str(Requirement(str(r))) for r in metadata.requires_dist or []}
    want = expected_requirements(project)
    if have != want:
        problems.append(f'Requires-Dist differs: extra {have - want}, missing {want - have}')
    if set(metadata.provides_extra or []) != set(project.get('optional-dependencies', {})):
        problems.append(f'Provides-Extra is {metadata.provides_extra}')
    if problems:
        raise CheckFailed('wheel metadata: ' + '; '.join(problems))
    deps = len(metadata.requires_dist or [])
    passed.append(
        f'metadata: {metadata.name} {metadata.version}, Requires-Python '
        f'{metadata.requires_python}, {deps} Requires-Dist as declared'
    )

    with tarfile.open(sdists[0]) as sdist:
        pkg_info = next(
            m for m in sdist.getmembers() if m.name.count('/') == 1 and m.name.endswith('/PKG-INFO')
        )
        handle = sdist.extractfile(pkg_info)
        assert handle is not None
        headers = email.parser.BytesParser().parse(handle)
    if headers['Version'] != version or canonicalize_name(headers['Name']) != canonicalize_name(
        dist.name
    ):
        raise CheckFailed(f'sdist PKG-INFO says {headers["Name"]} {headers["Version"]}')
    passed.append(f'sdist PKG-INFO: {headers["Name"]} {headers["Version"]}')

    member_dirs = [d.package_dir for d in dists.discover() if d.package_dir not in (None, 'lanner')]
    folder = work / dist.folder
    sources = source_payload(dist, folder, [m for m in member_dirs if m])
    pth = {p.name for p in folder.glob('*.pth')} if not dist.is_meta else set()
    problems = wheel_problems(dist, names, sources, pth)
    if problems:
        raise CheckFailed('wheel contents: ' + '; '.join(problems))
    if dist.package_dir is None:
        passed.append('wheel contents: metadata only')
    else:
        extra = f' + {", ".join(sorted(pth))}' if pth else ''
        passed.append(
            f'wheel contents: {len(sources)} files, exactly the sources of '
            f'{dist.package_dir}/{extra}'
        )
    return passed


def core_skew(new_core: str) -> list[str]:
    """Members whose lanner-core requirement would not admit *new_core*."""
    stale = []
    for dist in dists.discover():
        if dist.is_meta or dist.package_dir == 'lanner':
            continue
        for spec in meta_pins(
            dist.path.joinpath('pyproject.toml').read_text('utf-8'), 'lanner-core'
        ):
            if not admits(spec, new_core):
                stale.append(f'{dist.name} (lanner-core{spec})')
    return stale


def diff(label: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), label, label, n=0
    )
    return ''.join(lines)


def release(dist: Dist, level: str, apply: bool, keep: bool) -> int:
    old = dist.version()
    new = bump(old, level)
    mode = 'APPLY' if apply else 'dry run: the working tree is not changed'
    print(f'Release plan for {dist.name}: {old} -> {new} ({level})  [{mode}]')
    where = dist.folder or 'pyproject.toml'
    if dists.git('status', '--porcelain', '--', where).strip():
        print(f'  WARNING: uncommitted changes in {where} are released too')
    work = Path(tempfile.mkdtemp(prefix=f'release-{dist.name}-'))
    try:
        copy_inputs(dist, work)
        # 1. version
        version_path = work / dist.version_file
        version_text = version_path.read_text(encoding='utf-8')
        version_path.write_text(set_version(dist, version_text, new), encoding='utf-8')
        print(f'  1. version    {dist.version_file}: {old} -> {new}')

        # 2. changelog
        fragment_dir = work / dist.fragment_dir
        before = {p.name for p in fragment_dir.iterdir()} if fragment_dir.is_dir() else set()
        changelog_before = (work / dist.changelog).read_text(encoding='utf-8')
        today = datetime.date.today().isoformat()
        run(
            sys.executable,
            '-m',
            'towncrier',
            'build',
            '--config',
            work / dist.pyproject,
            '--dir',
            work / dist.folder,
            '--version',
            new,
            '--date',
            today,
            '--yes',
        )
        after = {p.name for p in fragment_dir.iterdir()} if fragment_dir.is_dir() else set()
        consumed = sorted(before - after)
        changelog_after = (work / dist.changelog).read_text(encoding='utf-8')
        print(f'  2. changelog  {dist.changelog}: {len(consumed)} fragment(s) compiled')
        if not consumed:
            print('     WARNING: no fragments; the section will say "No significant changes"')
        section = [
            line[1:]
            for line in diff('', changelog_before, changelog_after).splitlines()
            if line.startswith('+') and not line.startswith('+++')
        ]
        for line in section:
            print(f'     | {line}')

        # 3. the meta-package's range
        root_before = (work / 'pyproject.toml').read_text(encoding='utf-8')
        root_after = root_before
        meta_fragment = None
        if dist.is_meta:
            print('  3. meta range (the meta-package itself: no range to update)')
        else:
            pins = meta_pins(root_before, dist.name)
            if not pins:
                print(f'  3. meta range WARNING: the meta-package does not require {dist.name}')
            elif all(admits(spec, new) for spec in pins):
                print(
                    f'  3. meta range pyproject.toml: {dist.name}{pins[0]} admits {new}: unchanged'
                )
            else:
                new_range = compatible_range(new)
                root_after = set_meta_range(root_before, dist.name, new_range)
                (work / 'pyproject.toml').write_text(root_after, encoding='utf-8')
                meta_fragment = (
                    f'+{dist.name}-{new}.feature.md',
                    f'Requires `{dist.name}{new_range}` (was `{pins[0]}`).\n',
                )
                print(
                    f'  3. meta range pyproject.toml: {dist.name}{pins[0]} -> {new_range}'
                    f' (+ fragment changes/{meta_fragment[0]}: release the meta-package next)'
                )
            if dist.package_dir == 'lanner':
                stale = core_skew(new)
                if stale:
                    print(
                        f'     members whose core range excludes {new} (widen after their '
                        f'tests pass, then release them): {", ".join(stale)}'
                    )

        # 4. build
        out = work / 'out'
        run(sys.executable, '-m', 'uv', 'build', '--quiet', '--out-dir', out, work / dist.folder)
        built = sorted(p.name for p in out.iterdir() if not p.name.startswith('.'))
        print(f'  4. build      {", ".join(built)}')

        # 5. checks
        for number, line in enumerate(check_built(dist, work, out, new)):
            print(f'  {"5. checks    " if number == 0 else "             "}{line}')

        if apply:
            write_back(dist, new, consumed, changelog_after, meta_fragment, out)
        else:
            print('  working tree unchanged; run again with --apply to write these changes')
        print()
        print(f'Tag to create after committing the release: {dist.name}=={new}')
        if apply:
            print(f'  git commit -m "Release {dist.name} {new}" && git tag "{dist.name}=={new}"')
        return 0
    except CheckFailed as exc:
        print(f'RELEASE CHECK FAILED: {exc}', file=sys.stderr)
        return 1
    finally:
        if keep:
            print(f'(temporary copy kept at {work})')
        else:
            shutil.rmtree(work, ignore_errors=True)


def write_back(
    dist: Dist,
    new: str,
    consumed: list[str],
    changelog: str,
    meta_fragment: tuple[str, str] | None,
    out: Path,
) -> None:
    """Make in the working tree the changes made and checked in the temporary copy."""
    root = dists.ROOT
    path = root / dist.version_file
    path.write_text(set_version(dist, path.read_text('utf-8'), new), encoding='utf-8')
    (root / dist.changelog).write_text(changelog, encoding='utf-8')
    for name in consumed:
        (root / dist.fragment_dir / name).unlink()
    if meta_fragment:
        # Re-read: only the range lines change, whatever else was edited meanwhile.
        pyproject = root / 'pyproject.toml'
        new_range = compatible_range(new)
        pyproject.write_text(
            set_meta_range(pyproject.read_text('utf-8'), dist.name, new_range), encoding='utf-8'
        )
        meta_dir = root / dists.discover()[0].fragment_dir
        meta_dir.mkdir(exist_ok=True)
        (meta_dir / meta_fragment[0]).write_text(meta_fragment[1], encoding='utf-8')
    target = root / 'dist'
    target.mkdir(exist_ok=True)
    for file in out.iterdir():
        shutil.copy2(file, target / file.name)
    print(
        f'  applied: version, changelog, {len(consumed)} fragment(s) removed'
        f'{", meta range" if meta_fragment else ""}; built files copied to dist/'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='scripts/release', description=__doc__.splitlines()[0])
    parser.add_argument('dist', help='distribution name, e.g. lanner-sse (or sse)')
    parser.add_argument('level', choices=LEVELS)
    parser.add_argument('--apply', action='store_true', help='write the changes (default: dry run)')
    parser.add_argument('--keep', action='store_true', help='keep the temporary copy')
    args = parser.parse_args(argv)
    return release(dists.find(args.dist), args.level, args.apply, args.keep)


if __name__ == '__main__':
    sys.exit(main())
