"""The monorepo's packaging invariants (architecture.md, section 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = ('routing', 'websocket', 'sse', 'testing', 'channels', 'falcon')


@pytest.mark.parametrize('member', MEMBERS)
def test_member_ships_only_its_own_directory(member: str) -> None:
    src = ROOT / 'packages' / member / 'src' / 'lanner'
    assert not (src / '__init__.py').exists(), f'{member} must not ship lanner/__init__.py'
    assert sorted(p.name for p in src.iterdir()) == [member]
    assert (src / member / 'py.typed').is_file()
    assert (src / member / '_version.py').is_file()
    assert (src / member / '__init__.py').is_file()


def test_core_init_extends_path_first() -> None:
    tree = ast.parse((ROOT / 'packages/core/src/lanner/__init__.py').read_text(encoding='utf-8'))
    first = tree.body[0]
    assert isinstance(first, ast.Assign)
    assert ast.unparse(first.targets[0]) == '__path__'
    assert 'extend_path' in ast.unparse(first.value)
    assert (ROOT / 'packages/core/src/lanner/py.typed').is_file()


@pytest.mark.parametrize('member', MEMBERS)
def test_member_wheel_selects_only_its_directory(member: str) -> None:
    import tomllib

    config = tomllib.loads((ROOT / 'packages' / member / 'pyproject.toml').read_text('utf-8'))
    wheel = config['tool']['hatch']['build']['targets']['wheel']
    assert wheel['only-include'] == [f'src/lanner/{member}']
    assert wheel['sources'] == ['src']
    assert config['project']['dependencies'][0].startswith('lanner-core')


def test_core_does_not_import_members_at_import_time() -> None:
    import subprocess
    import sys

    code = (
        'import sys, lanner, lanner.asgi, lanner.app, lanner.request, lanner.response\n'
        "bad = sorted(m for m in sys.modules if m.split('.')[:2] in "
        "(['lanner','routing'], ['lanner','websocket'], ['lanner','sse'], ['lanner','testing'],"
        " ['lanner','channels']))\n"
        'print(bad)\n'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '[]'
