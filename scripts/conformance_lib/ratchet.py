"""The expected-failure list and the ratchet that keeps it exact.

Format of tests/conformance/expected-failures.txt, one test a line::

    <node id>  # <anchor>: <reason>

``<anchor>`` names a row of docs/compatibility.md (``{#anchor}`` at the end of the row's first
cell). Blank lines and lines starting with ``#`` are comments.
"""

from __future__ import annotations

from pathlib import Path
import re

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_FILE = ROOT / 'tests' / 'conformance' / 'expected-failures.txt'
COMPATIBILITY = ROOT / 'docs' / 'compatibility.md'

_LINE = re.compile(r'^(?P<nodeid>\S.*?)\s+#\s+(?P<anchor>[a-z0-9-]+):\s+(?P<reason>\S.*)$')
_ANCHOR = re.compile(r'\{#([a-z0-9-]+)\}')


def load_expected(path: Path = EXPECTED_FILE) -> dict[str, str]:
    """Node id -> ``anchor: reason``; raises SystemExit on a malformed line or unknown anchor."""
    anchors = set(_ANCHOR.findall(COMPATIBILITY.read_text(encoding='utf-8')))
    expected: dict[str, str] = {}
    errors = []
    for number, raw in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(f'{path.name}:{number}: expected "<node id>  # <anchor>: <reason>"')
            continue
        if match['anchor'] not in anchors:
            errors.append(
                f'{path.name}:{number}: anchor {match["anchor"]!r} is not a row of '
                'docs/compatibility.md (add "{#' + match['anchor'] + '}" to its row)'
            )
        expected[match['nodeid']] = f'{match["anchor"]}: {match["reason"]}'
    if errors:
        raise SystemExit('\n'.join(errors))
    return expected


def check_ratchet(outcomes: dict[str, str], expected: dict[str, str], partial: bool) -> list[str]:
    """Every problem with the run against the list; empty when the run matches it exactly."""
    problems = []
    for nodeid, outcome in sorted(outcomes.items()):
        if outcome in ('failed', 'error') and nodeid not in expected:
            problems.append(f'NEW FAILURE {nodeid} (not in {EXPECTED_FILE.name})')
    for nodeid, reason in sorted(expected.items()):
        outcome = outcomes.get(nodeid)
        if outcome == 'passed':
            problems.append(f'NOW PASSES {nodeid}: remove it from {EXPECTED_FILE.name}')
        elif outcome is None and not partial:
            problems.append(f'NOT RUN {nodeid}: listed but not in the suite ({reason})')
    return problems
