"""``import lanner`` stays cheap: no asyncio, http.cookiejar or importlib.metadata."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ('asyncio', 'http.cookiejar', 'importlib.metadata')


def _modules_after(statement: str) -> set[str]:
    """Modules that ``statement`` adds to sys.modules in a fresh interpreter.

    Only what the statement adds counts: site hooks of the environment (``.pth`` files, e.g.
    coverage's subprocess support) may have imported other modules before it runs.
    """
    code = (
        'import sys\npreloaded = set(sys.modules)\n'
        f'{statement}\n'
        'print("\\n".join(sorted(set(sys.modules) - preloaded)))'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_lanner_is_lean() -> None:
    loaded = _modules_after('import lanner')
    assert not loaded & set(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


def test_building_a_wsgi_app_does_not_import_asyncio() -> None:
    loaded = _modules_after(
        'import lanner\n'
        'class R:\n'
        '    def on_get(self, req, resp): resp.text = "hi"\n'
        'app = lanner.App()\napp.add_route("/", R())'
    )
    assert 'asyncio' not in loaded
    assert 'importlib.metadata' not in loaded
