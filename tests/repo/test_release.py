"""The release tooling in scripts/release_lib (docs/packaging.md, "Releasing").

The pure parts run everywhere. The dry run of ``scripts/release lanner-sse patch`` needs towncrier,
twine and uv, which only the Hatch ``release`` environment has; CI runs this file there
(``hatch run release:test``) and the main suite skips that one test.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / 'scripts' / 'release_lib'
sys.path.insert(0, str(LIB))

import check_changelog  # noqa: E402
import dists  # noqa: E402
import release  # noqa: E402


def test_every_package_folder_is_a_distribution() -> None:
    found = {d.folder for d in dists.discover() if not d.is_meta}
    assert found == {
        p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob('packages/*/pyproject.toml')
    }
    core = dists.find('lanner-core')
    assert core.package_dir == 'lanner'
    assert core.version_file == 'packages/core/src/lanner/version.py'
    assert dists.find('sse').package_dir == 'lanner/sse'


@pytest.mark.parametrize(
    ('level', 'expected'), [('patch', '0.4.3'), ('minor', '0.5.0'), ('major', '1.0.0')]
)
def test_bump(level: str, expected: str) -> None:
    assert release.bump('0.4.2', level) == expected


def test_bump_refuses_what_it_cannot_bump() -> None:
    with pytest.raises(ValueError, match=r'plain X\.Y\.Z'):
        release.bump('0.4.2rc1', 'patch')
    with pytest.raises(ValueError, match='unknown level'):
        release.bump('0.4.2', 'micro')


def test_compatible_range() -> None:
    assert release.compatible_range('0.2.0') == '>=0.2,<0.3'
    assert release.compatible_range('1.4.0') == '>=1.4,<2'


def test_set_version_keeps_the_quotes_and_the_rest() -> None:
    sse = dists.find('lanner-sse')
    text = '"""Doc."""\n\n__version__ = \'0.1.0\'\n'
    assert release.set_version(sse, text, '0.1.1') == '"""Doc."""\n\n__version__ = \'0.1.1\'\n'
    meta = dists.find('lanner')
    toml = '[project]\nname = "lanner"\nversion = "0.1.0"\n[tool.x]\npython_version = "3.11"\n'
    assert 'version = "0.2.0"' in release.set_version(meta, toml, '0.2.0')
    assert 'python_version = "3.11"' in release.set_version(meta, toml, '0.2.0')


def test_meta_range_rewrites_every_pin_of_that_member_only() -> None:
    text = (
        'dependencies = ["lanner-core[msgpack]>=0.1,<0.2", "lanner-sse>=0.1,<0.2"]\n'
        'redis = ["lanner-channels[redis]>=0.1,<0.2"]\nx = ["lanner-core>=0.1,<0.2"]\n'
    )
    assert release.meta_pins(text, 'lanner-core') == ['>=0.1,<0.2', '>=0.1,<0.2']
    out = release.set_meta_range(text, 'lanner-core', '>=0.2,<0.3')
    assert release.meta_pins(out, 'lanner-core') == ['>=0.2,<0.3', '>=0.2,<0.3']
    assert '"lanner-core[msgpack]>=0.2,<0.3"' in out
    assert release.meta_pins(out, 'lanner-sse') == ['>=0.1,<0.2']
    assert release.meta_pins(out, 'lanner-channels') == ['>=0.1,<0.2']


def test_wheel_contents_check() -> None:
    sse = dists.find('lanner-sse')
    sources = {'lanner/sse/__init__.py', 'lanner/sse/py.typed', 'lanner/sse/_version.py'}
    meta = ['lanner_sse-0.1.1.dist-info/METADATA', 'lanner_sse-0.1.1.dist-info/RECORD']
    assert release.wheel_problems(sse, [*sources, *meta], sources, set()) == []
    # A stray core file, a missing source, a leftover file and a lanner/__init__.py.
    names = [*sources - {'lanner/sse/py.typed'}, 'lanner/__init__.py', 'lanner/sse/old.py', *meta]
    problems = ' | '.join(release.wheel_problems(sse, names, sources, set()))
    assert 'files outside lanner/sse/' in problems
    assert "missing from the wheel: ['lanner/sse/py.typed']" in problems
    assert "not sources: ['lanner/sse/old.py']" in problems
    assert 'never ship lanner/__init__.py' in problems
    # A .pth file of the member's folder must be there, at the root.
    falcon = dists.find('lanner-falcon')
    src = {'lanner/falcon/__init__.py', 'lanner/falcon/py.typed'}
    assert release.wheel_problems(falcon, [*src], src, {'lanner-falcon.pth'}) != []
    assert (
        release.wheel_problems(falcon, [*src, 'lanner-falcon.pth'], src, {'lanner-falcon.pth'})
        == []
    )
    lanner = dists.find('lanner')
    assert release.wheel_problems(lanner, ['lanner-0.1.0.dist-info/METADATA'], set(), set()) == []
    assert release.wheel_problems(lanner, ['x.py', 'lanner-0.1.0.dist-info/METADATA'], set(), set())


def test_fragment_names_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dists, 'ROOT', tmp_path)
    folder = tmp_path / 'packages' / 'sse' / 'changes'
    folder.mkdir(parents=True)
    (tmp_path / 'packages' / 'sse' / 'pyproject.toml').write_text(
        '[project]\nname = "lanner-sse"\n[tool.towncrier]\ndirectory = "changes"\n'
    )
    for name in ('.gitkeep', '21.feature.md', '+tidy.bugfix.2.md', 'oops.feature.md', '3.feat.md'):
        (folder / name).write_text('x\n')
    sse = dists.Dist('lanner-sse', 'packages/sse', 'packages/sse/v.py', 'lanner/sse')
    good, bad = check_changelog.fragments(sse)
    assert good == ['+tidy.bugfix.2.md', '21.feature.md']
    assert bad == ['3.feat.md', 'oops.feature.md']


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        'GIT_AUTHOR_NAME': 't',
        'GIT_AUTHOR_EMAIL': 't@t',
        'GIT_COMMITTER_NAME': 't',
        'GIT_COMMITTER_EMAIL': 't@t',
    }
    out = subprocess.run(
        ['git', *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _commit(repo: Path, version: str, quote: str = "'", extra: str = '') -> str:
    path = repo / 'packages/sse/src/lanner/sse/_version.py'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'__version__ = {quote}{version}{quote}\n{extra}')
    _git(repo, 'add', '-A')
    _git(repo, 'commit', '-q', '-m', f'{version}{extra}')
    return _git(repo, 'rev-parse', 'HEAD')


def test_last_release_is_the_newest_change_of_the_version_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / 'repo'
    repo.mkdir()
    _git(repo, 'init', '-q')
    _commit(repo, '0.1.0')
    released = _commit(repo, '0.1.1')
    _commit(repo, '0.1.1', quote='"')  # a reformat is not a release
    _commit(repo, '0.1.1', extra='# comment\n')
    monkeypatch.setattr(dists, 'ROOT', repo)
    sse = dists.Dist('lanner-sse', 'packages/sse', 'packages/sse/src/lanner/sse/_version.py', 'x')
    assert dists.last_release(sse) == released

    # A shallow clone cut after the release cannot tell: it says so instead of guessing.
    shallow = tmp_path / 'shallow'
    _git(tmp_path, 'clone', '-q', '--depth', '1', repo.as_uri(), str(shallow))
    monkeypatch.setattr(dists, 'ROOT', shallow)
    assert dists.is_shallow()
    with pytest.raises(dists.ReleaseHistoryError, match='shallow'):
        dists.last_release(sse)
    # Down to the release's own commit is not enough: its parent holds the old value.
    _git(shallow, 'fetch', '-q', '--depth', '3')
    with pytest.raises(dists.ReleaseHistoryError):
        dists.last_release(sse)
    _git(shallow, 'fetch', '-q', '--depth', '4')
    assert dists.last_release(sse) == released


def _snapshot(paths: list[Path]) -> dict[str, str]:
    digests = {}
    for base in paths:
        files = [base] if base.is_file() else sorted(base.rglob('*'))
        for path in files:
            if path.is_file() and '__pycache__' not in path.parts:
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def test_dry_run_prints_the_plan_and_the_tag_and_changes_nothing() -> None:
    for tool in ('towncrier', 'twine', 'uv'):
        if importlib.util.find_spec(tool) is None:
            pytest.skip(f'{tool} is missing: run with `hatch run release:test`')
    sse = dists.find('lanner-sse')
    watched = [sse.path, ROOT / 'pyproject.toml', ROOT / 'dist']
    before = _snapshot(watched)
    result = subprocess.run(
        [sys.executable, str(LIB / 'release.py'), 'lanner-sse', 'patch'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    new = release.bump(sse.version(), 'patch')
    out = result.stdout
    assert f'Release plan for lanner-sse: {sse.version()} -> {new} (patch)' in out
    assert 'twine check --strict: 2 of 2 PASSED' in out
    assert 'exactly the sources of lanner/sse/' in out
    assert out.rstrip().endswith(f'Tag to create after committing the release: lanner-sse=={new}')
    assert _snapshot(watched) == before
