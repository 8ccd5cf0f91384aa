"""The conformance runner's promise: one failing test counts as one failure, whatever it breaks.

Each case runs the runner's round loop on a small synthetic suite in a temporary folder (the
real suite is Falcon's, downloaded at run time; these cases need no download).
"""

from __future__ import annotations

from pathlib import Path
import sys
import textwrap

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'scripts' / 'conformance_lib'))

from main import run_rounds  # noqa: E402
from ratchet import check_ratchet  # noqa: E402


def run_suite(tmp_path: Path, files: dict[str, str]) -> dict[str, str]:
    tests = tmp_path / 'tests'
    tests.mkdir()
    for name, body in files.items():
        (tests / name).write_text(textwrap.dedent(body), encoding='utf-8')
    # target='falcon' keeps the plugin from installing the falcon alias: these suites need none.
    return run_rounds(sys.executable, tmp_path, [], [], 'falcon', None)


def test_a_test_that_kills_pytest_is_one_failure_and_the_run_resumes(tmp_path: Path) -> None:
    outcomes = run_suite(
        tmp_path,
        {
            'test_crash.py': """
                import os

                def test_before():
                    pass

                def test_kills_the_process():
                    os._exit(3)

                def test_after():
                    pass
            """
        },
    )
    assert outcomes == {
        'tests/test_crash.py::test_before': 'passed',
        'tests/test_crash.py::test_kills_the_process': 'failed',
        'tests/test_crash.py::test_after': 'passed',
    }


def test_an_internalerror_while_reporting_is_one_failure(tmp_path: Path) -> None:
    # A hook that raises while a report is processed is what an INTERNALERROR looks like.
    outcomes = run_suite(
        tmp_path,
        {
            'conftest.py': """
                def pytest_runtest_logreport(report):
                    if 'explodes' in report.nodeid and report.when == 'call':
                        raise RecursionError('maximum recursion depth exceeded')
            """,
            'test_internal.py': """
                def test_explodes():
                    assert False

                def test_next():
                    pass
            """,
        },
    )
    assert outcomes['tests/test_internal.py::test_explodes'] == 'failed'
    assert outcomes['tests/test_internal.py::test_next'] == 'passed'


def test_a_failure_under_a_foreign_os_name_is_reported(tmp_path: Path) -> None:
    outcomes = run_suite(
        tmp_path,
        {
            'test_platform.py': """
                import os

                def test_pretends_windows(monkeypatch):
                    monkeypatch.setattr(os, 'name', 'nt')
                    assert False

                def test_sees_posix_again():
                    assert os.name == 'posix'
            """
        },
    )
    assert outcomes == {
        'tests/test_platform.py::test_pretends_windows': 'failed',
        'tests/test_platform.py::test_sees_posix_again': 'passed',
    }


def test_environment_changes_do_not_leak_into_later_tests(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv('CONFORMANCE_PROBE', 'Y')
    outcomes = run_suite(
        tmp_path,
        {
            'test_env.py': """
                import os

                def test_removes_and_fails():
                    del os.environ['CONFORMANCE_PROBE']
                    raise RuntimeError('body raised before the helper restored it')

                def test_still_set():
                    assert os.environ.get('CONFORMANCE_PROBE') == 'Y'
            """
        },
    )
    assert outcomes['tests/test_env.py::test_removes_and_fails'] == 'failed'
    assert outcomes['tests/test_env.py::test_still_set'] == 'passed'


def test_a_module_that_cannot_be_imported_is_a_failure(tmp_path: Path) -> None:
    outcomes = run_suite(
        tmp_path,
        {
            'test_broken.py': 'from nowhere import nothing\n',
            'test_fine.py': 'def test_ok():\n    pass\n',
        },
    )
    assert outcomes == {'tests/test_broken.py': 'error', 'tests/test_fine.py::test_ok': 'passed'}


@pytest.mark.parametrize(
    ('outcome', 'listed', 'expected'),
    [
        ('failed', False, ['NEW FAILURE t::a (not in expected-failures.txt)']),
        ('passed', True, ['NOW PASSES t::a: remove it from expected-failures.txt']),
        ('failed', True, []),
        ('passed', False, []),
    ],
)
def test_ratchet(outcome: str, listed: bool, expected: list[str]) -> None:
    listing = {'t::a': 'anchor: reason'} if listed else {}
    assert check_ratchet({'t::a': outcome}, listing, partial=False) == expected


def test_ratchet_reports_listed_tests_that_no_longer_exist() -> None:
    problems = check_ratchet({}, {'t::gone': 'anchor: reason'}, partial=False)
    assert problems == ['NOT RUN t::gone: listed but not in the suite (anchor: reason)']
    assert check_ratchet({}, {'t::gone': 'anchor: reason'}, partial=True) == []


def test_the_committed_expected_failure_list_is_well_formed() -> None:
    from ratchet import load_expected

    for nodeid, reason in load_expected().items():  # raises on a bad line or an unknown anchor
        assert nodeid.startswith('tests/'), nodeid
        assert reason.split(': ', 1)[1].strip(), nodeid
