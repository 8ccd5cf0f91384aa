"""Versions and version skew between the distributions (docs/packaging.md, "Versions").

* Every member's version stays inside the range the meta-package pins for it.
* Every member's lanner-core requirement admits the current core, and its minimum core version is
  one the meta-package's core range allows: a member that raises its minimum core version past
  what the meta-package (or core itself) offers fails here, before anyone installs it.
"""

from __future__ import annotations

import ast
from pathlib import Path
import re

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]


def _version_files() -> dict[str, str]:
    """Distribution name -> version file, for every packages/*/pyproject.toml (new members too)."""
    files = {}
    for pyproject in sorted(ROOT.glob('packages/*/pyproject.toml')):
        config = tomllib.loads(pyproject.read_text(encoding='utf-8'))
        folder = pyproject.parent.relative_to(ROOT).as_posix()
        files[config['project']['name']] = f'{folder}/{config["tool"]["hatch"]["version"]["path"]}'
    return files


VERSION_FILES = _version_files()
MEMBERS = sorted(name for name in VERSION_FILES if name != 'lanner-core')


def _source_version(path: str) -> str:
    tree = ast.parse((ROOT / path).read_text(encoding='utf-8'))
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == '__version__':
            value = ast.literal_eval(node.value)
            assert isinstance(value, str)
            return value
    raise AssertionError(f'no __version__ in {path}')


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r'\d+', version)[:3])


def _satisfies(version: str, specifier: str) -> bool:
    ops = {
        '>=': lambda a, b: a >= b,
        '<=': lambda a, b: a <= b,
        '==': lambda a, b: a == b,
        '!=': lambda a, b: a != b,
        '>': lambda a, b: a > b,
        '<': lambda a, b: a < b,
    }
    have = _as_tuple(version)
    for clause in filter(None, (c.strip() for c in specifier.split(','))):
        match = re.fullmatch(r'(>=|<=|==|!=|>|<)\s*([\d.]+)', clause)
        assert match, f'unsupported specifier clause {clause!r}'
        want = _as_tuple(match.group(2))
        want = want + (0,) * (len(have) - len(want))
        if not ops[match.group(1)](have, want):
            return False
    return True


def _meta_requirements() -> dict[str, str]:
    config = tomllib.loads((ROOT / 'pyproject.toml').read_text(encoding='utf-8'))
    project = config['project']
    requirements = list(project['dependencies'])
    for extra in project['optional-dependencies'].values():
        requirements.extend(extra)
    pins = {}
    for requirement in requirements:
        match = re.fullmatch(r'(lanner-[a-z]+)(\[[^\]]*\])?\s*(.*)', requirement)
        if match:
            pins[match.group(1)] = match.group(3)
    return pins


def test_meta_package_pins_every_member() -> None:
    assert set(_meta_requirements()) == set(VERSION_FILES)


@pytest.mark.parametrize('dist', sorted(VERSION_FILES))
def test_member_version_inside_meta_range(dist: str) -> None:
    version = _source_version(VERSION_FILES[dist])
    specifier = _meta_requirements()[dist]
    assert _satisfies(version, specifier), (
        f'{dist} is at {version}, outside the meta-package range {specifier!r}: '
        'update the range in the root pyproject.toml'
    )


def test_satisfies_helper_rejects_out_of_range() -> None:
    assert _satisfies('0.1.3', '>=0.1,<0.2')
    assert not _satisfies('0.2.0', '>=0.1,<0.2')
    assert not _satisfies('0.0.9', '>=0.1,<0.2')


@pytest.mark.parametrize('dist', sorted(VERSION_FILES))
def test_installed_version_matches_source(dist: str) -> None:
    from importlib import metadata

    try:
        installed = metadata.version(dist)
    except metadata.PackageNotFoundError:
        pytest.skip(f'{dist} is not installed in this environment')
    assert installed == _source_version(VERSION_FILES[dist])


def _core_requirement(dist: str) -> str:
    """The specifier a member gives lanner-core in its own pyproject.toml."""
    folder = Path(VERSION_FILES[dist]).parts[:2]
    config = tomllib.loads((ROOT.joinpath(*folder) / 'pyproject.toml').read_text('utf-8'))
    for requirement in config['project']['dependencies']:
        match = re.fullmatch(r'lanner-core(\[[^\]]*\])?\s*([^;]*)', requirement)
        if match:
            return match.group(2).strip()
    raise AssertionError(f'{dist} does not depend on lanner-core')


def _minimum(specifier: str) -> str | None:
    match = re.search(r'(?:>=|==)\s*([\d.]+)', specifier)
    return match.group(1) if match else None


def skew_problems(member: str, member_spec: str, meta_spec: str, core_version: str) -> list[str]:
    """Why a member requiring ``lanner-core<member_spec>`` cannot ship beside this core."""
    problems = []
    if not _satisfies(core_version, member_spec):
        problems.append(
            f'{member} requires lanner-core{member_spec} but core is at {core_version}: '
            'release core first, or widen the requirement once the member passes against it'
        )
    minimum = _minimum(member_spec)
    floor = _minimum(meta_spec)
    below_floor = (
        minimum is not None and floor is not None and _as_tuple(minimum) < _as_tuple(floor)
    )
    if minimum is not None and not below_floor and not _satisfies(minimum, meta_spec):
        problems.append(
            f'{member} needs lanner-core>={minimum}, outside the meta-package range '
            f'lanner-core{meta_spec}: `pip install lanner` could not resolve; move the range '
            'in the root pyproject.toml with the core release that brings it'
        )
    return problems


@pytest.mark.parametrize('dist', MEMBERS)
def test_member_core_requirement_fits_core_and_meta_package(dist: str) -> None:
    core_version = _source_version(VERSION_FILES['lanner-core'])
    meta_spec = _meta_requirements()['lanner-core']
    assert skew_problems(dist, _core_requirement(dist), meta_spec, core_version) == []


@pytest.mark.parametrize(
    ('member_spec', 'meta_spec', 'core', 'expected'),
    [
        ('>=0.1,<0.2', '>=0.1,<0.2', '0.1.4', 0),
        ('>=0.1.3,<0.2', '>=0.1,<0.2', '0.1.4', 0),
        ('>=0.0.9,<0.2', '>=0.1,<0.2', '0.1.0', 0),  # more lenient than the meta-package: fine
        ('>=0.1.5,<0.2', '>=0.1,<0.2', '0.1.4', 1),  # needs a core not released yet
        ('>=0.2,<0.3', '>=0.1,<0.2', '0.1.4', 2),  # raised past the meta range (and core)
        ('>=0.2,<0.3', '>=0.1,<0.2', '0.2.0', 1),  # core moved, the meta range did not
        ('>=0.1,<0.2', '>=0.2,<0.3', '0.2.0', 1),  # core moved, the member's cap did not
    ],
)
def test_skew_check_catches_each_kind_of_skew(
    member_spec: str, meta_spec: str, core: str, expected: int
) -> None:
    assert len(skew_problems('lanner-x', member_spec, meta_spec, core)) == expected
