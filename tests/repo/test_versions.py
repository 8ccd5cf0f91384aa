"""Every member's version must stay inside the range the meta-package pins for it."""

from __future__ import annotations

import ast
from pathlib import Path
import re

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]
VERSION_FILES = {
    'lanner-core': 'packages/core/src/lanner/version.py',
    'lanner-routing': 'packages/routing/src/lanner/routing/_version.py',
    'lanner-websocket': 'packages/websocket/src/lanner/websocket/_version.py',
    'lanner-sse': 'packages/sse/src/lanner/sse/_version.py',
    'lanner-testing': 'packages/testing/src/lanner/testing/_version.py',
    'lanner-channels': 'packages/channels/src/lanner/channels/_version.py',
    'lanner-falcon': 'packages/falcon/src/lanner/falcon/_version.py',
}


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
