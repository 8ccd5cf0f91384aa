"""The distributions of this repository, their versions and their last release (stdlib only).

A distribution is the root meta-package ``lanner`` or any ``packages/*/pyproject.toml``; new
members are picked up without editing this file.

"Last release" is found from history alone, so it works in a fresh clone without tags: it is the
newest commit that changed the *value* of the distribution's version (``__version__`` in its
version file; ``[project] version`` for the meta-package). Reformatting the file does not count.
A shallow clone can hide that commit; :func:`last_release` then says so instead of guessing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
import re
import subprocess

import tomllib

ROOT = Path(__file__).resolve().parents[2]

# Tables of a pyproject.toml that end up in the built distribution. Edits elsewhere (Hatch
# environments, linters, towncrier) change nothing a user installs.
PACKAGING_TABLES = (
    ('build-system',),
    ('project',),
    ('tool', 'hatch', 'build'),
    ('tool', 'hatch', 'version'),
    ('tool', 'hatch', 'metadata'),
)
# towncrier's default fragment types, used when a distribution's config lists none.
DEFAULT_FRAGMENT_TYPES = ('feature', 'bugfix', 'doc', 'removal', 'misc')
# Files in a fragment folder that are not fragments (towncrier skips them too).
NOT_FRAGMENTS = {'.gitkeep', '.gitignore', '.keep', 'readme', 'readme.md'}


class ReleaseHistoryError(RuntimeError):
    """The history needed to find a distribution's last release is not available."""


@dataclass(frozen=True)
class Dist:
    """One installable distribution of the repository."""

    name: str
    # Folder holding its pyproject.toml, relative to the repository root ('' for the meta-package).
    folder: str
    # File whose value is the version, relative to the repository root.
    version_file: str
    # Import path it ships inside the wheel ('lanner' for core, 'lanner/sse' for a member, None
    # for the metadata-only meta-package).
    package_dir: str | None

    @property
    def path(self) -> Path:
        return ROOT / self.folder

    @property
    def pyproject(self) -> str:
        return f'{self.folder}/pyproject.toml' if self.folder else 'pyproject.toml'

    @property
    def is_meta(self) -> bool:
        return self.package_dir is None

    def rel(self, name: str) -> str:
        """A path inside this distribution's folder, relative to the repository root."""
        return f'{self.folder}/{name}' if self.folder else name

    @property
    def fragment_dir(self) -> str:
        return self.rel(str(self.towncrier().get('directory', 'changes')))

    @property
    def changelog(self) -> str:
        return self.rel(str(self.towncrier().get('filename', 'CHANGELOG.md')))

    def config(self) -> dict[str, object]:
        return tomllib.loads((ROOT / self.pyproject).read_text(encoding='utf-8'))

    def towncrier(self) -> dict[str, object]:
        tool = self.config().get('tool', {})
        assert isinstance(tool, dict)
        section = tool.get('towncrier', {})
        assert isinstance(section, dict)
        return section

    def fragment_types(self) -> tuple[str, ...]:
        types = self.towncrier().get('type')
        if not types:
            return DEFAULT_FRAGMENT_TYPES
        assert isinstance(types, list)
        return tuple(str(entry['directory']) for entry in types)

    def version(self) -> str:
        return version_from_text(self, (ROOT / self.version_file).read_text(encoding='utf-8'))

    def source_pathspecs(self) -> list[str]:
        """What counts as this distribution's sources for the changelog check.

        Everything in its folder except fragments, the changelog and the README (documentation
        edits need no release note). For the meta-package: its pyproject.toml only (the root
        folder holds the whole repository). pyproject.toml is compared table by table later.
        """
        if self.is_meta:
            return ['pyproject.toml']
        return [
            self.folder,
            f':(exclude){self.fragment_dir}',
            f':(exclude){self.changelog}',
            f':(exclude){self.rel("README.md")}',
        ]


def discover() -> list[Dist]:
    """The meta-package first, then every member under packages/, by folder name."""
    dists = [Dist('lanner', '', 'pyproject.toml', None)]
    for pyproject in sorted(ROOT.glob('packages/*/pyproject.toml')):
        config = tomllib.loads(pyproject.read_text(encoding='utf-8'))
        folder = pyproject.parent.relative_to(ROOT).as_posix()
        version_path = config['tool']['hatch']['version']['path']
        package_dir = str(Path(version_path).parent.relative_to('src').as_posix())
        dists.append(
            Dist(config['project']['name'], folder, f'{folder}/{version_path}', package_dir)
        )
    return dists


def find(name: str) -> Dist:
    """The distribution called *name* (``lanner-sse``; ``sse`` is accepted too)."""
    dists = discover()
    for dist in dists:
        if name in (dist.name, dist.folder.removeprefix('packages/')):
            return dist
    known = ', '.join(d.name for d in dists)
    raise SystemExit(f'unknown distribution {name!r}; expected one of: {known}')


def version_from_text(dist: Dist, text: str) -> str:
    """The version held by one revision of *dist*'s version file."""
    if dist.is_meta:
        return str(tomllib.loads(text)['project']['version'])
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == '__version__':
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise ValueError(f'no __version__ string in {dist.version_file}')


def packaging_tables(text: str) -> dict[str, object]:
    """The tables of a pyproject.toml that shape the built distribution."""
    config = tomllib.loads(text)
    picked: dict[str, object] = {}
    for keys in PACKAGING_TABLES:
        node: object = config
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        picked['.'.join(keys)] = node
    return picked


def git(*args: str, check: bool = True) -> str:
    result = subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True, check=False)
    if check and result.returncode:
        raise RuntimeError(f'git {" ".join(args)} failed: {result.stderr.strip()}')
    return result.stdout


def _show(commit: str, path: str) -> str | None:
    result = subprocess.run(
        ['git', 'show', f'{commit}:{path}'], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def is_shallow() -> bool:
    return git('rev-parse', '--is-shallow-repository').strip() == 'true'


def _shallow_boundary() -> set[str]:
    path = Path(git('rev-parse', '--git-path', 'shallow').strip())
    path = path if path.is_absolute() else ROOT / path
    return set(path.read_text().split()) if path.exists() else set()


def last_release(dist: Dist) -> str | None:
    """The newest commit that changed *dist*'s version value, or None if it is not committed.

    Walks the commits that touched the version file, newest first, and compares the version with
    the one in the first parent. A commit with no parent created the file (its first version).
    In a shallow clone the walk can reach the cut-off commit, whose parent is missing but not
    absent: then the answer is unknown and ReleaseHistoryError says how to get the history.
    """
    commits = git('log', '--format=%H', '--first-parent', 'HEAD', '--', dist.version_file).split()
    boundary = _shallow_boundary()
    for commit in commits:
        text = _show(commit, dist.version_file)
        if text is None:  # deleted in this commit
            continue
        version = version_from_text(dist, text)
        has_parent = bool(git('rev-list', '--parents', '-n', '1', commit).split()[1:])
        if not has_parent:
            if commit in boundary:
                raise ReleaseHistoryError(
                    f'{dist.name}: this clone is shallow and its history ends before the last '
                    f'change of {dist.version_file}; fetch the history '
                    '(`git fetch --unshallow`, or clone without --depth) and run again'
                )
            return commit
        before = _show(f'{commit}^', dist.version_file)
        if before is None or version_from_text(dist, before) != version:
            return commit
    return None


def released_versions(dist: Dist) -> set[str]:
    """The versions that have a section in *dist*'s compiled changelog."""
    path = ROOT / dist.changelog
    if not path.exists():
        return set()
    pattern = re.compile(rf'^#+ .*?\b{re.escape(dist.name)} v?(\d[\w.+-]*)', re.MULTILINE)
    return set(pattern.findall(path.read_text(encoding='utf-8')))
