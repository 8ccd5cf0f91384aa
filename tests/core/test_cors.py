"""lanner.CORSMiddleware and App(cors_enable=True): simple, preflight, credentialed, denied."""

from __future__ import annotations

from typing import Any

import pytest
from support.harness import Client, resource

import lanner

CORS_HEADERS = (
    'access-control-allow-origin',
    'access-control-allow-credentials',
    'access-control-allow-methods',
    'access-control-allow-headers',
    'access-control-max-age',
    'access-control-expose-headers',
    'access-control-allow-private-network',
)


def cors_headers(result: Any) -> dict[str, str]:
    return {name: result.headers[name] for name in CORS_HEADERS if name in result.headers}


def client_for(make_app: Any, asgi: bool, **app_kwargs: Any) -> Client:
    app = make_app(**app_kwargs)
    app.add_route(
        '/items',
        resource(
            asgi,
            on_get=lambda req, resp: setattr(resp, 'media', ['a']),
            on_delete=lambda req, resp: None,
        ),
    )

    def sink(req: Any, resp: Any, **kwargs: Any) -> None:
        resp.text = 'sink'

    async def sink_async(req: Any, resp: Any, **kwargs: Any) -> None:
        sink(req, resp)

    app.add_sink(sink_async if asgi else sink, '/sink')
    return Client(app)


def test_disabled_by_default(make_app: Any, asgi: bool) -> None:
    result = client_for(make_app, asgi).get('/items', headers={'Origin': 'https://a.example'})
    assert cors_headers(result) == {}
    assert 'origin' not in result.headers.get('vary', '').lower()


def test_simple_request_with_cors_enable(make_app: Any, asgi: bool) -> None:
    client = client_for(make_app, asgi, cors_enable=True)
    result = client.get('/items', headers={'Origin': 'https://a.example'})
    assert result.status_code == 200
    assert cors_headers(result) == {'access-control-allow-origin': '*'}
    # A wildcard answer does not depend on the Origin value: no Vary needed.
    assert 'vary' not in result.headers

    no_origin = client.get('/items')
    assert cors_headers(no_origin) == {}


def test_simple_request_also_on_errors(make_app: Any, asgi: bool) -> None:
    client = client_for(make_app, asgi, cors_enable=True)
    result = client.get('/missing', headers={'Origin': 'https://a.example'})
    assert result.status_code == 404
    assert result.headers['access-control-allow-origin'] == '*'


def test_preflight_with_default_options_responder(make_app: Any, asgi: bool) -> None:
    client = client_for(make_app, asgi, cors_enable=True)
    result = client.options(
        '/items',
        headers={
            'Origin': 'https://a.example',
            'Access-Control-Request-Method': 'DELETE',
            'Access-Control-Request-Headers': 'X-Custom, Content-Type',
        },
    )
    assert result.status_code == 200
    assert 'allow' not in result.headers  # moved to Access-Control-Allow-Methods
    assert cors_headers(result) == {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'DELETE, GET',
        'access-control-allow-headers': 'X-Custom, Content-Type',
        'access-control-max-age': '86400',
    }


def test_preflight_without_requested_headers_allows_any(make_app: Any, asgi: bool) -> None:
    client = client_for(make_app, asgi, cors_enable=True)
    result = client.options(
        '/items', headers={'Origin': 'https://a.example', 'Access-Control-Request-Method': 'GET'}
    )
    assert result.headers['access-control-allow-headers'] == '*'


def test_plain_options_is_not_a_preflight(make_app: Any, asgi: bool) -> None:
    client = client_for(make_app, asgi, cors_enable=True)
    result = client.options('/items', headers={'Origin': 'https://a.example'})
    assert result.headers['allow'] == 'DELETE, GET'
    assert cors_headers(result) == {'access-control-allow-origin': '*'}


def test_preflight_denied_without_allow_header(make_app: Any, asgi: bool) -> None:
    client = client_for(
        make_app, asgi, middleware=[lanner.CORSMiddleware(expose_headers='X-Total')]
    )
    result = client.options(
        '/sink', headers={'Origin': 'https://a.example', 'Access-Control-Request-Method': 'GET'}
    )
    assert result.text == 'sink'
    assert cors_headers(result) == {}


def test_allowed_and_disallowed_origins(make_app: Any, asgi: bool) -> None:
    cors = lanner.CORSMiddleware(allow_origins=['https://a.example', 'https://b.example'])
    client = client_for(make_app, asgi, middleware=[cors])

    allowed = client.get('/items', headers={'Origin': 'https://b.example'})
    assert cors_headers(allowed) == {'access-control-allow-origin': 'https://b.example'}
    assert allowed.headers['vary'] == 'Origin'

    denied = client.get('/items', headers={'Origin': 'https://evil.example'})
    assert denied.status_code == 200  # CORS never blocks the request itself
    assert cors_headers(denied) == {}
    assert denied.headers['vary'] == 'Origin'

    # Origins are compared exactly (case-sensitive).
    assert cors_headers(client.get('/items', headers={'Origin': 'https://A.example'})) == {}

    # Even responses to requests without Origin vary on it, so caches keep them apart.
    assert client.get('/items').headers['vary'] == 'Origin'

    denied_preflight = client.options(
        '/items',
        headers={'Origin': 'https://evil.example', 'Access-Control-Request-Method': 'GET'},
    )
    assert cors_headers(denied_preflight) == {}
    assert denied_preflight.headers['allow'] == 'DELETE, GET'


def test_single_origin_string(make_app: Any, asgi: bool) -> None:
    client = client_for(
        make_app, asgi, middleware=[lanner.CORSMiddleware(allow_origins='https://a.example')]
    )
    result = client.get('/items', headers={'Origin': 'https://a.example'})
    assert result.headers['access-control-allow-origin'] == 'https://a.example'


def test_vary_is_appended_to_existing_values(make_app: Any, asgi: bool) -> None:
    cors = lanner.CORSMiddleware(allow_origins=['https://a.example'])
    client = client_for(make_app, asgi, middleware=[cors])
    # The 404 error body is negotiated on Accept: both dimensions are listed once.
    result = client.get('/missing', headers={'Origin': 'https://a.example'})
    assert result.header_values('vary') == ['Accept, Origin']


@pytest.mark.parametrize(
    ('allow_credentials', 'origin', 'expected'),
    [
        (None, 'https://a.example', {'access-control-allow-origin': '*'}),
        (
            '*',
            'https://a.example',
            {
                'access-control-allow-origin': 'https://a.example',
                'access-control-allow-credentials': 'true',
            },
        ),
        (
            ['https://a.example'],
            'https://a.example',
            {
                'access-control-allow-origin': 'https://a.example',
                'access-control-allow-credentials': 'true',
            },
        ),
        (['https://a.example'], 'https://b.example', {'access-control-allow-origin': '*'}),
    ],
)
def test_credentials_matrix(
    make_app: Any, asgi: bool, allow_credentials: Any, origin: str, expected: dict[str, str]
) -> None:
    cors = lanner.CORSMiddleware(allow_credentials=allow_credentials)
    result = client_for(make_app, asgi, middleware=[cors]).get('/items', headers={'Origin': origin})
    assert cors_headers(result) == expected
    # With credentials configured, the answer depends on the Origin value.
    assert result.headers.get('vary') == (None if allow_credentials is None else 'Origin')


def test_credentialed_preflight_with_specific_origins(make_app: Any, asgi: bool) -> None:
    cors = lanner.CORSMiddleware(
        allow_origins=['https://a.example'], allow_credentials=['https://a.example']
    )
    result = client_for(make_app, asgi, middleware=[cors]).options(
        '/items',
        headers={
            'Origin': 'https://a.example',
            'Access-Control-Request-Method': 'DELETE',
            'Access-Control-Request-Headers': 'Authorization',
        },
    )
    assert cors_headers(result) == {
        'access-control-allow-origin': 'https://a.example',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'DELETE, GET',
        'access-control-allow-headers': 'Authorization',
        'access-control-max-age': '86400',
    }


def test_existing_allow_origin_is_kept(make_app: Any, asgi: bool) -> None:
    app = make_app(cors_enable=True)

    def on_get(req: Any, resp: Any) -> None:
        resp.set_header('Access-Control-Allow-Origin', 'https://fixed.example')

    app.add_route('/', resource(asgi, on_get=on_get))
    result = Client(app).get('/', headers={'Origin': 'https://a.example'})
    assert result.headers['access-control-allow-origin'] == 'https://fixed.example'


@pytest.mark.parametrize(
    ('expose', 'expected'), [('X-Total', 'X-Total'), (['X-Total', 'X-Page'], 'X-Total, X-Page')]
)
def test_expose_headers(make_app: Any, asgi: bool, expose: Any, expected: str) -> None:
    cors = lanner.CORSMiddleware(expose_headers=expose)
    result = client_for(make_app, asgi, middleware=[cors]).get(
        '/items', headers={'Origin': 'https://a.example'}
    )
    assert result.headers['access-control-expose-headers'] == expected


@pytest.mark.parametrize('enabled', [False, True])
def test_private_network_access(make_app: Any, asgi: bool, enabled: bool) -> None:
    cors = lanner.CORSMiddleware(allow_private_network=enabled)
    result = client_for(make_app, asgi, middleware=[cors]).options(
        '/items',
        headers={
            'Origin': 'https://a.example',
            'Access-Control-Request-Method': 'GET',
            'Access-Control-Request-Private-Network': 'true',
        },
    )
    granted = result.headers.get('access-control-allow-private-network')
    assert granted == ('true' if enabled else None)


def test_unsafe_requested_headers_are_not_echoed(make_app: Any, asgi: bool) -> None:
    headers = {
        'Origin': 'https://a.example',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'X-A\x7fB',  # a control character
    }
    result = client_for(make_app, asgi, cors_enable=True).options('/items', headers=headers)
    assert result.status_code == 200
    assert result.headers['access-control-allow-headers'] == '*'


def test_wildcard_inside_a_list_is_rejected() -> None:
    with pytest.raises(ValueError, match='passed to allow_origins as a string on its own'):
        lanner.CORSMiddleware(allow_origins=['*', 'https://a.example'])
    with pytest.raises(ValueError, match="'\\*'"):
        lanner.CORSMiddleware(allow_credentials=['https://a.example', '*'])


def test_static_route_preflight(make_app: Any, asgi: bool, tmp_path: Any) -> None:
    (tmp_path / 'a.txt').write_text('hello')
    app = make_app(cors_enable=True)
    app.add_static_route('/static', str(tmp_path))
    result = Client(app).options(
        '/static/a.txt',
        headers={'Origin': 'https://a.example', 'Access-Control-Request-Method': 'GET'},
    )
    assert result.headers['access-control-allow-methods'] == 'GET'
