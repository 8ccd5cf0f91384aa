"""simulate_request and friends: every keyword, for WSGI and ASGI callables.

The apps here are bare callables that echo what they received (see echo_apps), so these tests
pin the simulated *server* behaviour independently of lanner-core.
"""

from __future__ import annotations

import io
from typing import Any

from echo_apps import asgi_echo, wsgi_echo
import pytest

from lanner import testing
from lanner.testing import DEFAULT_UA


@pytest.fixture(params=['wsgi', 'asgi'])
def echo_app(request: pytest.FixtureRequest) -> Any:
    return wsgi_echo if request.param == 'wsgi' else asgi_echo


def echo(app: Any, method: str = 'GET', path: str = '/', **kwargs: Any) -> dict[str, Any]:
    result = testing.simulate_request(app, method, path, **kwargs)
    assert result.status_code == 200
    info: dict[str, Any] = result.json
    return info


def test_defaults(echo_app: Any) -> None:
    info = echo(echo_app)
    assert info['method'] == 'GET'
    assert info['path'] == '/'
    assert info['query_string'] == ''
    assert info['headers']['host'] == 'falconframework.org'
    assert info['headers']['user-agent'] == DEFAULT_UA
    # Falcon's client name and the Falcon API version lanner implements, whatever lanner's own is.
    assert DEFAULT_UA == 'falcon-client/4.4.0'
    assert info['body'] == ''
    assert info['scheme'] == 'http'
    assert info['server_port'] == 80
    assert info['http_version'] == '1.1'
    assert info['remote_addr'] is None


@pytest.mark.parametrize(
    'name',
    [
        'simulate_get',
        'simulate_head',
        'simulate_post',
        'simulate_put',
        'simulate_options',
        'simulate_patch',
        'simulate_delete',
    ],
)
def test_method_shortcuts(echo_app: Any, name: str) -> None:
    result = getattr(testing, name)(echo_app, '/m')
    method = name.split('_')[1].upper()
    if method == 'HEAD':
        # The echo app answers HEAD with a body; a real app would not, but the method arrived.
        assert result.status_code == 200
    assert result.json['method'] == method


def test_module_shortcuts_require_a_path(echo_app: Any) -> None:
    with pytest.raises(TypeError):
        testing.simulate_get(echo_app)  # type: ignore[call-arg]


def test_path_is_percent_decoded_and_raw_path_kept(echo_app: Any) -> None:
    info = echo(echo_app, path='/caf%C3%A9/a%2Fb/x+y')
    assert info['path'] == '/café/a/b/x+y'
    assert info['raw_path'] == '/caf%C3%A9/a%2Fb/x+y'


def test_query_in_path(echo_app: Any) -> None:
    info = echo(echo_app, path='/search?q=1&r=2')
    assert info['path'] == '/search'
    assert info['query_string'] == 'q=1&r=2'


def test_query_string_kwarg(echo_app: Any) -> None:
    assert echo(echo_app, query_string='a=1&a=2')['query_string'] == 'a=1&a=2'


def test_query_string_wins_over_params(echo_app: Any) -> None:
    assert echo(echo_app, query_string='x=1', params={'y': 2})['query_string'] == 'x=1'


def test_params(echo_app: Any) -> None:
    info = echo(echo_app, params={'a': [1, 2], 'b': True, 'c': 'x y', 'd': False})
    assert info['query_string'] == 'a=1&a=2&b=true&c=x%20y&d=false'


def test_params_csv(echo_app: Any) -> None:
    info = echo(echo_app, params={'a': [1, 2], 'b': 'z'}, params_csv=True)
    assert info['query_string'] == 'a=1,2&b=z'


@pytest.mark.parametrize(
    ('kwargs', 'message'),
    [
        ({'path': 'no-slash'}, "path must start with '/'"),
        ({'path': '/a?b=1', 'query_string': 'c=2'}, 'may not contain a query string'),
        ({'path': '/a?b=1', 'params': {'c': 2}}, 'may not contain a query string'),
        ({'query_string': '?a=1'}, "should not start with '?'"),
        ({'http_version': '0.9'}, 'Invalid http_version'),
        ({'port': 'eighty'}, 'port must be an int'),
    ],
)
def test_validation_errors(echo_app: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        testing.simulate_request(echo_app, **kwargs)


def test_unknown_keyword_is_a_type_error(echo_app: Any) -> None:
    with pytest.raises(TypeError, match='unexpected keyword'):
        testing.simulate_request(echo_app, 'GET', '/x', HTTP_X_FOO='1')  # type: ignore[call-arg]


def test_extras_may_not_override_the_method() -> None:
    with pytest.raises(ValueError, match='may not override the request method'):
        testing.simulate_get(wsgi_echo, '/', extras={'REQUEST_METHOD': 'POST'})
    with pytest.raises(ValueError, match='may not override the request method'):
        testing.simulate_get(asgi_echo, '/', extras={'method': 'POST'})


def test_extras_are_merged(echo_app: Any) -> None:
    assert echo(echo_app, extras={'x.extra': 'hi'})['extra'] == 'hi'
    # Repeating the same method is allowed.
    same = {'REQUEST_METHOD': 'GET'} if echo_app is wsgi_echo else {'method': 'GET'}
    assert echo(echo_app, extras=same)['method'] == 'GET'


def test_headers_dict_and_pairs(echo_app: Any) -> None:
    info = echo(echo_app, headers={'X-Token': '  abc  ', 'X-Empty': None})
    assert info['headers']['x-token'] == 'abc'
    assert info['headers']['x-empty'] == ''
    info = echo(echo_app, headers=[('X-Multi', 'a'), ('x-multi', 'b'), ('Accept', 'x/y')])
    assert info['headers']['x-multi'] == 'a,b'
    assert info['headers']['accept'] == 'x/y'


def test_singleton_header_last_wins_in_wsgi() -> None:
    info = echo(wsgi_echo, headers=[('Referer', 'a'), ('Referer', 'b')])
    assert info['headers']['referer'] == 'b'


def test_custom_user_agent_replaces_default(echo_app: Any) -> None:
    assert echo(echo_app, headers={'User-Agent': 'me/1'})['headers']['user-agent'] == 'me/1'


@pytest.mark.parametrize('headers', ['X-A: 1', 42, [('X-A',)], {'X-A': 1}, {b'X-A': '1'}])
def test_bad_headers_are_type_errors(echo_app: Any, headers: Any) -> None:
    with pytest.raises(TypeError, match=r'[Hh]eader'):
        testing.simulate_get(echo_app, '/', headers=headers)


def test_content_type_overrides_headers(echo_app: Any) -> None:
    info = echo(echo_app, headers={'content-type': 'text/plain'}, content_type='text/csv')
    assert info['headers']['content-type'] == 'text/csv'


def test_body_str_and_bytes(echo_app: Any) -> None:
    info = echo(echo_app, 'POST', body='héllo')
    assert info['body'].encode('latin-1').decode('utf-8') == 'héllo'
    assert info['headers']['content-length'] == str(len('héllo'.encode()))
    info = echo(echo_app, 'POST', body=b'\x00\xff')
    assert info['body'] == '\x00\xff'


def test_empty_body_content_length() -> None:
    # WSGI: Content-Length only for a non-empty body; ASGI: whenever a body is given.
    assert 'content-length' not in echo(wsgi_echo, 'POST', body=b'')['headers']
    assert echo(asgi_echo, 'POST', body=b'')['headers']['content-length'] == '0'
    assert 'content-length' not in echo(asgi_echo, 'POST')['headers']


@pytest.mark.parametrize('body', [123, {'a': 1}, object()])
def test_unreadable_body_is_a_clear_type_error(echo_app: Any, body: Any) -> None:
    with pytest.raises(TypeError, match='body must be str or bytes'):
        testing.simulate_post(echo_app, '/', body=body)


def test_json(echo_app: Any) -> None:
    info = echo(echo_app, 'POST', json={'a': 'é'}, content_type='text/plain')
    assert info['headers']['content-type'] == 'application/json'
    assert info['body'].encode('latin-1').decode('utf-8') == '{"a": "é"}'


def test_json_not_serialisable(echo_app: Any) -> None:
    with pytest.raises(TypeError, match='JSON-serialisable'):
        testing.simulate_post(echo_app, '/', json={'a': object()})


def test_msgpack_wins_over_json(echo_app: Any) -> None:
    msgpack = pytest.importorskip('msgpack')
    info = echo(echo_app, 'POST', msgpack={'a': 1}, json={'b': 2})
    assert info['headers']['content-type'] == 'application/msgpack'
    assert msgpack.unpackb(info['body'].encode('latin-1')) == {'a': 1}


def test_protocol_host_port(echo_app: Any) -> None:
    info = echo(echo_app, protocol='https', host='example.com')
    assert info['scheme'] == 'https'
    assert info['server_port'] == 443
    assert info['headers']['host'] == 'example.com'
    info = echo(echo_app, host='example.com', port='8080')
    assert info['server_port'] == 8080
    assert info['headers']['host'] == 'example.com:8080'


def test_http_version(echo_app: Any) -> None:
    assert echo(echo_app, http_version='2.0')['http_version'] == '2'
    assert echo(echo_app, http_version='1')['http_version'] == '1.0'
    # No Host header for HTTP/1.0.
    assert 'host' not in echo(echo_app, http_version='1.0')['headers']


def test_remote_addr(echo_app: Any) -> None:
    assert echo(echo_app, remote_addr='10.1.2.3')['remote_addr'] == '10.1.2.3'


def test_root_path(echo_app: Any) -> None:
    assert echo(echo_app, root_path='api')['root_path'] == '/api'
    assert echo(echo_app, root_path='/v1')['root_path'] == '/v1'


def test_cookies(echo_app: Any) -> None:
    info = echo(echo_app, cookies={'a': '1', 'b': 'two'})
    assert info['headers']['cookie'] == 'a=1; b=two'
    assert 'cookie' not in echo(echo_app, 'OPTIONS', cookies={'a': '1'})['headers']


def test_cookies_from_a_previous_result(echo_app: Any) -> None:
    def set_cookie_app(environ: Any, start_response: Any) -> list[bytes]:
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Set-Cookie', 'sid=xyz')])
        return [b'']

    previous = testing.simulate_get(set_cookie_app, '/')
    info = echo(echo_app, cookies=previous.cookies)
    assert info['headers']['cookie'] == 'sid=xyz'


def test_wsgi_only_keywords() -> None:
    errors = io.StringIO()
    wrapper_calls = []

    def file_wrapper(f: Any, size: int = 8192) -> Any:
        wrapper_calls.append(f)
        return iter([f.read()])

    def app(environ: Any, start_response: Any) -> Any:
        environ['wsgi.errors'].write('oops')
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return environ['wsgi.file_wrapper'](io.BytesIO(b'file'))

    result = testing.simulate_get(app, '/', wsgierrors=errors, file_wrapper=file_wrapper)
    assert result.text == 'file'
    assert errors.getvalue() == 'oops'
    assert len(wrapper_calls) == 1


def test_wsgi_is_validated_with_wsgiref() -> None:
    def bad_app(environ: Any, start_response: Any) -> Any:
        start_response(200, [('Content-Type', 'text/plain')])  # status must be a str
        return [b'']

    with pytest.raises(AssertionError, match='Status'):
        testing.simulate_get(bad_app, '/')


def test_wsgi_iterable_is_closed() -> None:
    closed = []

    class Body:
        def __iter__(self) -> Any:
            yield b'a'
            yield b'b'

        def close(self) -> None:
            closed.append(True)

    def app(environ: Any, start_response: Any) -> Any:
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return Body()

    assert testing.simulate_get(app, '/').content == b'ab'
    assert closed == [True]


def test_wsgi_legacy_write_callable() -> None:
    def app(environ: Any, start_response: Any) -> Any:
        write = start_response('200 OK', [('Content-Type', 'text/plain')])
        write(b'early ')
        return [b'late']

    assert testing.simulate_get(app, '/').text == 'early late'


def test_asgi_chunk_size_and_interleaved_empty_events() -> None:
    info = echo(asgi_echo, 'POST', body=b'x' * 10, asgi_chunk_size=4)
    assert info['body'] == 'x' * 10
    # 3 data events with an empty one between each pair.
    assert info['events'] == ['http.request'] * 5


def test_asgi_disconnect_ttl_zero_is_an_immediate_disconnect() -> None:
    with pytest.raises(ConnectionError, match=r'An immediate disconnect was simulated.'):
        testing.simulate_get(asgi_echo, '/', asgi_disconnect_ttl=0)


def test_asgi_scheme_may_be_ws() -> None:
    assert echo(asgi_echo, protocol='wss')['scheme'] == 'wss'


def test_asgi_detection_uses_the_callable_signature() -> None:
    class WSGIObject:
        def __call__(self, environ: Any, start_response: Any) -> Any:
            return wsgi_echo(environ, start_response)

    class ASGIObject:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await asgi_echo(scope, receive, send)

    assert 'events' not in testing.simulate_get(WSGIObject(), '/').json
    assert 'events' in testing.simulate_get(ASGIObject(), '/').json


def test_not_an_app() -> None:
    with pytest.raises(TypeError, match='WSGI or ASGI callable'):
        testing.simulate_get('not an app', '/')  # type: ignore[arg-type]


async def test_sync_simulate_inside_a_running_loop() -> None:
    # A sync helper called from an async test must not deadlock the test's loop.
    assert testing.simulate_get(asgi_echo, '/in-loop').json['path'] == '/in-loop'


class TestClientDefaults:
    def test_default_headers_are_merged_case_insensitively(self, echo_app: Any) -> None:
        client = testing.TestClient(echo_app, headers={'X-A': 'default', 'X-B': 'kept'})
        info = client.simulate_get('/', headers={'x-a': 'call'}).json
        assert info['headers']['x-a'] == 'call'
        assert info['headers']['x-b'] == 'kept'
        # Positional headers (method, path, query_string, headers) are merged too.
        info = client.simulate_request('GET', '/', None, {'X-C': 'pos'}).json
        assert info['headers']['x-c'] == 'pos'
        assert info['headers']['x-a'] == 'default'

    @pytest.mark.filterwarnings('ignore:Unknown REQUEST_METHOD')
    def test_aliases(self, echo_app: Any) -> None:
        client = testing.TestClient(echo_app)
        for alias in ('get', 'head', 'post', 'put', 'options', 'patch', 'delete'):
            assert getattr(client, alias)('/').json['method'] == alias.upper()
        assert client.request('PURGE', '/').json['method'] == 'PURGE'
        assert client.simulate_get().json['path'] == '/'
        assert client.app is echo_app

    def test_not_collected_by_pytest(self) -> None:
        assert testing.TestClient.__test__ is False
