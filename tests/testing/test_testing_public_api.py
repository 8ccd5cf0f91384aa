"""lanner.testing's public names (Falcon's falcon.testing API plus lanner's additions)."""

from __future__ import annotations

import pytest

import lanner.testing

FALCON_NAMES = {
    'ASGIConductor',
    'ASGILifespanEventEmitter',
    'ASGIRequestEventEmitter',
    'ASGIResponseEventCollector',
    'ASGIWebSocketSimulator',
    'Cookie',
    'DEFAULT_HOST',
    'DEFAULT_UA',
    'Result',
    'ResultBodyStream',
    'SimpleTestResource',
    'SimpleTestResourceAsync',
    'StartResponseMock',
    'StreamedResult',
    'TestCase',
    'TestClient',
    'capture_responder_args',
    'capture_responder_args_async',
    'closed_wsgi_iterable',
    'create_asgi_req',
    'create_environ',
    'create_req',
    'create_scope',
    'create_scope_ws',
    'get_encoding_from_headers',
    'get_unused_port',
    'httpnow',
    'rand_string',
    'redirected',
    'set_resp_defaults',
    'set_resp_defaults_async',
    'simulate_delete',
    'simulate_get',
    'simulate_head',
    'simulate_options',
    'simulate_patch',
    'simulate_post',
    'simulate_put',
    'simulate_request',
}
LANNER_ADDITIONS = {'__version__', 'set_limits'}


def test_all_is_pinned() -> None:
    assert set(lanner.testing.__all__) == FALCON_NAMES | LANNER_ADDITIONS
    assert len(lanner.testing.__all__) == len(set(lanner.testing.__all__))


@pytest.mark.parametrize('name', sorted(FALCON_NAMES | LANNER_ADDITIONS))
def test_every_name_resolves(name: str) -> None:
    assert getattr(lanner.testing, name) is not None
    assert name in dir(lanner.testing)


def test_falcon_module_paths() -> None:
    from lanner.testing import client, helpers, resource, srmock, test_case

    assert client.TestClient is lanner.testing.TestClient
    assert helpers.create_environ is lanner.testing.create_environ
    assert helpers.ASGIWebSocketSimulator is lanner.testing.ASGIWebSocketSimulator
    assert resource.SimpleTestResource is lanner.testing.SimpleTestResource
    assert srmock.StartResponseMock is lanner.testing.StartResponseMock
    assert test_case.TestCase is lanner.testing.TestCase


def test_unknown_name() -> None:
    with pytest.raises(AttributeError, match='no attribute'):
        lanner.testing.does_not_exist  # noqa: B018


def test_version_matches_the_distribution_file() -> None:
    from lanner.testing._version import __version__

    assert lanner.testing.__version__ == __version__


def test_lazy_table_matches_all() -> None:
    lazy = {name for names in lanner.testing._NAMES_BY_MODULE.values() for name in names}
    assert lazy | {'__version__'} == set(lanner.testing.__all__)
