"""Request behaviour through a real App (WSGI and ASGI): bad input gives a clear 4xx, never 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.harness import Client, resource


@pytest.fixture
def echo(asgi: bool, make_app: Callable[..., Any]) -> Client:
    """An app whose /probe route evaluates the request attribute named in ?attr=."""

    async def on_get_async(req: Any, resp: Any) -> None:
        attr = req.get_param('attr', required=True)
        if attr == 'media':
            value = await req.get_media()
        else:
            value = getattr(req, attr)
            if callable(value):
                value = value()
        resp.media = {'value': repr(value)}

    def on_get_sync(req: Any, resp: Any) -> None:
        attr = req.get_param('attr', required=True)
        value = req.get_media() if attr == 'media' else getattr(req, attr)
        resp.media = {'value': repr(value)}

    def on_get_int(req: Any, resp: Any) -> None:
        resp.media = {'n': req.get_param_as_int('n', required=True, min_value=0, max_value=10)}

    app = make_app()
    handler = on_get_async if asgi else on_get_sync
    app.add_route('/probe', resource(asgi, on_get=handler, on_post=handler))
    app.add_route('/int', resource(asgi, on_get=on_get_int))
    # wsgiref's validator would itself choke on the malformed input these tests send.
    return Client(app, validate_wsgi=False)


def _probe(client: Client, attr: str, method: str = 'GET', **kwargs: Any) -> Any:
    return client.request(method, '/probe', query_string=f'attr={attr}', **kwargs)


@pytest.mark.parametrize(
    ('attr', 'header', 'value'),
    [
        ('content_length', 'Content-Length', 'abc'),
        ('content_length', 'Content-Length', '-5'),
        ('content_length', 'Content-Length', '9' * 5000),
        ('date', 'Date', 'not a date'),
        ('if_modified_since', 'If-Modified-Since', 'Tue, 15 Nov 1994'),
        ('if_unmodified_since', 'If-Unmodified-Since', '1994-11-15T12:45:26Z'),
        ('range', 'Range', 'bytes=9-1'),
        ('range', 'Range', 'bytes=0-1,3-4'),
        ('range_unit', 'Range', 'nounit'),
    ],
)
def test_bad_headers_are_400_with_falcon_wording(
    echo: Client, attr: str, header: str, value: str
) -> None:
    result = _probe(echo, attr, headers={header: value})
    assert result.status_code == 400
    body = result.json
    assert body['title'] == 'Invalid header value'
    assert body['description'].startswith(
        f'The value provided for the "{header}" header is invalid.'
    )


def test_non_ascii_content_length_is_400(echo: Client) -> None:
    result = _probe(
        echo, 'content_length', headers={'Content-Length': '١٢'.encode().decode('latin-1')}
    )
    assert result.status_code == 400


def test_malformed_json_body_is_400(echo: Client) -> None:
    result = _probe(
        echo, 'media', 'POST', body=b'{"a":', headers={'Content-Type': 'application/json'}
    )
    assert result.status_code == 400
    assert result.json['title'] == 'Invalid JSON'


def test_empty_json_body_is_400(echo: Client) -> None:
    result = _probe(echo, 'media', 'POST', headers={'Content-Type': 'application/json'})
    assert result.status_code == 400
    assert result.json == {
        'title': 'Invalid JSON',
        'description': 'Could not parse an empty JSON body',
    }


def test_unsupported_media_type_is_415(echo: Client) -> None:
    result = _probe(echo, 'media', 'POST', body=b'x', headers={'Content-Type': 'text/x-nope'})
    assert result.status_code == 415
    assert result.json['description'] == 'text/x-nope is an unsupported media type.'


def test_body_over_limit_is_413(asgi: bool, make_app: Callable[..., Any]) -> None:
    async def on_post_async(req: Any, resp: Any) -> None:
        resp.media = await req.get_media()

    def on_post_sync(req: Any, resp: Any) -> None:
        resp.media = req.get_media()

    app = make_app()
    app.req_options.max_body_size = 64
    app.add_route('/m', resource(asgi, on_post=on_post_async if asgi else on_post_sync))
    client = Client(app)
    ok = client.post('/m', json={'a': 1})
    assert ok.status_code == 200
    assert ok.json == {'a': 1}
    big = client.post('/m', json={'a': 'x' * 100})
    assert big.status_code == 413
    assert big.json['title'] == '413 Content Too Large'


def test_invalid_percent_escapes_are_kept_verbatim(echo: Client) -> None:
    result = echo.get('/probe', query_string='attr=params&x=%zz%&y=%E2%82')
    assert result.status_code == 200
    assert result.json['value'] == repr({'attr': 'params', 'x': '%zz%', 'y': '\ufffd'})


def test_duplicated_headers(echo: Client) -> None:
    result = _probe(echo, 'headers_lower', headers=[('X-Dup', 'a'), ('X-Dup', 'b')])
    assert result.status_code == 200
    assert "'x-dup': 'a,b'" in result.json['value']


def test_huge_header_is_served(echo: Client) -> None:
    # Within RequestOptions.max_header_bytes (64 KiB; beyond it: 431, test_header_limits.py).
    result = _probe(echo, 'user_agent', headers={'User-Agent': 'u' * 60_000})
    assert result.status_code == 200
    assert result.json['value'] == repr('u' * 60_000)


def test_missing_required_param_is_400(echo: Client) -> None:
    result = echo.get('/probe')
    assert result.status_code == 400
    assert result.json == {
        'title': 'Missing parameter',
        'description': 'The "attr" parameter is required.',
    }


@pytest.mark.parametrize(
    ('query', 'description'),
    [
        ('n=x', 'The "n" parameter is invalid. The value must be an integer.'),
        ('n=11', 'The "n" parameter is invalid. The value may not exceed 10'),
        ('n=-1', 'The "n" parameter is invalid. The value must be at least 0'),
        ('n=' + '9' * 5000, 'The "n" parameter is invalid. The value must be an integer.'),
    ],
)
def test_invalid_params_are_400(echo: Client, query: str, description: str) -> None:
    result = echo.get('/int', query_string=query)
    assert result.status_code == 400
    assert result.json == {'title': 'Invalid parameter', 'description': description}


def test_valid_param_round_trip(echo: Client) -> None:
    assert echo.get('/int', query_string='n=7').json == {'n': 7}


def test_bad_host_port_does_not_break_uri(echo: Client) -> None:
    result = _probe(echo, 'uri', headers={'Host': 'example.com:99999999'})
    assert result.status_code == 200
    assert result.json['value'] == repr('http://example.com:99999999/probe?attr=uri')


def test_cookies_through_app(echo: Client) -> None:
    result = _probe(echo, 'cookies', headers={'Cookie': 'a=1; bad cookie=2; b="q\\"x"'})
    assert result.status_code == 200
    assert result.json['value'] == repr({'a': '1', 'b': 'q"x'})
