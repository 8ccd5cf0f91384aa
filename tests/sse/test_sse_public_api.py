"""The public surface of lanner.sse and its boundary with lanner-core."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

import lanner.sse

SSE_SOURCE = Path(lanner.sse.__file__).parent


def test_all_is_pinned() -> None:
    assert sorted(lanner.sse.__all__) == [
        'EventBroker',
        'SSEvent',
        'SerializedEvent',
        'SlowSubscriberPolicy',
        '__version__',
    ]
    for name in lanner.sse.__all__:
        assert getattr(lanner.sse, name) is not None


def test_member_imports_only_public_core_modules() -> None:
    offenders = []
    for path in sorted(SSE_SOURCE.glob('*.py')):
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                parts = name.split('.')
                if parts[0] != 'lanner' or parts[1:2] == ['sse']:
                    continue
                if any(part.startswith('_') for part in parts[1:]):
                    offenders.append(f'{path.name}: {name}')
    assert offenders == []


def test_core_streams_without_importing_the_member() -> None:
    code = (
        'import sys, lanner._sse.asgi_pump, lanner._sse.wsgi_body\n'
        'assert "lanner.sse" not in sys.modules, "core imported lanner.sse"\n'
    )
    subprocess.run([sys.executable, '-c', code], check=True, timeout=60)
