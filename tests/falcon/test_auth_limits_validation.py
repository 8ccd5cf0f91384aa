"""falcon-auth2, falcon-limiter and falcon-marshmallow, installed for real, on lanner apps.

The scenarios live in addon_scenarios.py. Each is checked twice: against the outcome written out
here, and against what the same scenario gives on the real Falcon 4.4 (a subprocess with
``LANNER_FALCON=0``; skipped when the real falcon distribution is not installed).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip('lanner.testing', reason='the scenarios use falcon.testing (lanner-testing)')

import addon_scenarios  # after the skip: it imports falcon.testing

HERE = Path(__file__).parent

CANNOT = {'title': '401 Unauthorized', 'description': 'Cannot authenticate the request'}
NOT_FOUND = {'title': '401 Unauthorized', 'description': 'User not found for provided payload'}


def outcome(name: str, asgi: bool) -> Any:
    pytest.importorskip(name)
    if name == 'falcon_marshmallow' and asgi:
        pytest.skip('falcon-marshmallow is WSGI-only upstream (synchronous middleware)')
    # Through JSON, so that tuples and lists compare as the subprocess's answer does.
    return json.loads(json.dumps(addon_scenarios.SCENARIOS[name](asgi)))


def test_falcon_auth2(asgi: bool) -> None:
    if asgi:
        pytest.importorskip('greenlet', reason='falcon-auth2 needs its [async] extra on ASGI')
    assert outcome('falcon_auth2', asgi) == [
        [401, 'Basic, Token', CANNOT],  # nothing sent: both backends' challenges
        [200, None, {'name': 'ann'}],
        [401, 'Basic', NOT_FOUND],  # wrong password: the Basic backend's own failure
        [401, 'Basic, Token', CANNOT],  # "Basic" without credentials
        [401, 'Basic, Token', CANNOT],  # another scheme
        [200, None, {'name': 'robot'}],  # token in a header
        [200, None, {'name': 'robot'}],  # ... in a cookie
        [200, None, {'name': 'robot'}],  # ... in the query string
        [401, 'Basic, Token', CANNOT],  # the parameter given twice
        [401, 'Token', NOT_FOUND],  # unknown token
        [200, None, 'up'],  # exempt template
        [200, None, 'hi'],  # resource with auth disabled
    ]


def test_falcon_limiter(asgi: bool) -> None:
    # falcon-limiter 1.0.1 applies default_limits only to responders decorated with
    # @limiter.limit(). Over a limit it calls HTTPTooManyRequests(description) positionally,
    # which Falcon 4 refuses (keyword-only arguments): the TypeError makes that request a 500,
    # exactly as on the real Falcon 4.4.
    assert outcome('falcon_limiter', asgi) == [
        ['/unlimited', [200, 200, 200]],
        ['/default', [200, 200, 500]],
        ['/own', [200, 500]],
        ['/misses', [200, 200, 404, 500]],  # only the 404 was counted
    ]


def test_falcon_marshmallow(asgi: bool) -> None:
    assert outcome('falcon_marshmallow', asgi) == [
        [200, {'name': 'REX', 'age': 3}],
        [
            422,
            {
                'title': '422 Unprocessable Entity',
                'description': {
                    'name': ['Missing data for required field.'],
                    'age': ['Not a valid integer.'],
                },
            },
        ],
        [
            415,
            {
                'title': '415 Unsupported Media Type',
                'description': 'POST requests must have "application/json" in their '
                '"Content-Type" header.',
            },
        ],
        [406, None],
        [200, {'name': 'REX', 'age': 3}],  # "3" loaded through the schema
    ]


def real_falcon_installed() -> bool:
    # lanner-falcon's metadata stand-in (no real falcon) has no files; the real one has.
    try:
        return bool(importlib.metadata.distribution('falcon').files)
    except importlib.metadata.PackageNotFoundError:
        return False


@pytest.mark.parametrize('name', sorted(addon_scenarios.SCENARIOS))
def test_same_outcome_as_real_falcon(name: str, asgi: bool) -> None:
    if not real_falcon_installed():
        pytest.skip('the real falcon distribution is not installed')
    on_lanner = outcome(name, asgi)
    environment = {**os.environ, 'LANNER_FALCON': '0'}
    script = str(HERE / 'addon_scenarios.py')
    probe = 'import falcon, sys; sys.exit(not falcon.App.__module__.startswith("falcon."))'
    checked = subprocess.run([sys.executable, '-c', probe], env=environment, timeout=60)
    assert checked.returncode == 0, 'LANNER_FALCON=0 did not give the real falcon'
    flavour = 'asgi' if asgi else 'wsgi'
    run = subprocess.run(
        [sys.executable, script, name, flavour],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == on_lanner
