"""pytest plugin the conformance runner loads into Falcon's test suite (``-p isolation``).

It does four things, each so that one failing test counts as exactly one failure:

- Aliases ``falcon`` to lanner (unless the run is the reference run against real Falcon).
- Restores process-wide state after every test: ``os.environ`` (a helper of the suite deletes
  ``FALCON_ASGI_WRAP_NON_COROUTINES`` and does not put it back when the test body raises) and the
  platform names (a test patches ``os.name``; a failure report built under ``'nt'`` crashes pytest).
- Turns an exception raised while a report is built (say a RecursionError while rendering a
  traceback) into a plain failed report instead of an INTERNALERROR.
- Writes one JSON line per test start and per test outcome to ``$LANNER_CONFORMANCE_LOG``, so
  that the runner can tell which test was running when pytest crashed anyway, and resume after
  it with every finished test deselected (``$LANNER_CONFORMANCE_DESELECT``, one node id a line).
"""

from __future__ import annotations

from collections.abc import Generator
import json
import os
import sys
from typing import IO, Any

import pytest

if os.environ.get('LANNER_CONFORMANCE_TARGET', 'lanner') == 'lanner':
    import lanner.falcon

    if lanner.falcon.install() is None:
        raise SystemExit('the falcon alias is switched off (LANNER_FALCON); cannot run conformance')

_log: IO[str] | None = None
_outcomes: dict[str, str] = {}


def _write(record: dict[str, Any]) -> None:
    if _log is not None:
        _log.write(json.dumps(record) + '\n')
        _log.flush()


def pytest_configure(config: pytest.Config) -> None:
    global _log
    path = os.environ.get('LANNER_CONFORMANCE_LOG')
    if path:
        _log = open(path, 'a', encoding='utf-8')  # closed in pytest_unconfigure


def pytest_unconfigure(config: pytest.Config) -> None:
    if _log is not None:
        _log.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    path = os.environ.get('LANNER_CONFORMANCE_DESELECT')
    if not path or not os.path.exists(path):
        return
    with open(path, encoding='utf-8') as f:
        done = {line.rstrip('\n') for line in f if line.strip()}
    kept = [item for item in items if item.nodeid not in done]
    dropped = [item for item in items if item.nodeid in done]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(tryfirst=True)
def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed:
        # A module that cannot even be imported: record it under its path, so that the ratchet
        # sees it (its tests never get ids of their own).
        _write({'event': 'outcome', 'nodeid': report.nodeid, 'outcome': 'error'})


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str, location: object) -> None:
    _outcomes[nodeid] = 'passed'
    _write({'event': 'start', 'nodeid': nodeid})


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    current = _outcomes.get(report.nodeid, 'passed')
    if report.failed:
        outcome = 'failed'
    elif report.skipped:
        outcome = 'xfailed' if hasattr(report, 'wasxfail') else 'skipped'
    else:
        return
    if current == 'passed' or outcome == 'failed':
        _outcomes[report.nodeid] = outcome


@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid: str, location: object) -> None:
    _write({'event': 'outcome', 'nodeid': nodeid, 'outcome': _outcomes.pop(nodeid, 'failed')})


_PLATFORM_NAMES = (
    (os, 'name'),
    (os, 'sep'),
    (os, 'pathsep'),
    (os, 'linesep'),
    (sys, 'platform'),
)


def _restore_platform(saved: list[object]) -> None:
    for (owner, attr), value in zip(_PLATFORM_NAMES, saved, strict=True):
        if getattr(owner, attr) != value:
            setattr(owner, attr, value)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    environ = dict(os.environ)
    try:
        return (yield)
    finally:
        if dict(os.environ) != environ:
            os.environ.clear()
            os.environ.update(environ)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    saved = [getattr(owner, attr) for owner, attr in _PLATFORM_NAMES]
    try:
        return (yield)
    finally:
        # The test's own monkeypatch fixture undoes its patches only at teardown, but the call's
        # report is built before that, and pytest cannot build it with a foreign os.name.
        _restore_platform(saved)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    try:
        return (yield)
    except Exception as exc:  # a report that cannot be built still reports a failure
        return pytest.TestReport(
            nodeid=item.nodeid,
            location=item.location,
            keywords={},
            outcome='failed',
            longrepr=f'the failure report itself could not be built: {type(exc).__name__}',
            when=call.when,
            sections=[],
            duration=call.duration,
            start=call.start,
            stop=call.stop,
        )
