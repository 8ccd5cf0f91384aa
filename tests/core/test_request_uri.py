"""Request URI parts, connection data and forwarding headers, on WSGI and ASGI."""

from __future__ import annotations

from typing import Any

from _reqresp import environ, make_request, receiver, scope
import pytest

import lanner
import lanner.asgi


def test_method_path_and_query_string(asgi: bool) -> None:
    req = make_request(asgi, 'PATCH', '/things/1', 'a=1&b=2')
    assert req.method == 'PATCH'
    assert req.path == '/things/1'
    assert req.query_string == 'a=1&b=2'


def test_missing_query_string_is_empty(asgi: bool) -> None:
    if asgi:
        sc = scope()
        del sc['query_string']
        receive, first = receiver()
        req = lanner.asgi.Request(sc, receive, first)
    else:
        env = environ()
        del env['QUERY_STRING']
        req = lanner.Request(env)
    assert req.query_string == ''
    assert req.params == {}
    assert req.relative_uri == '/'


def test_empty_path_is_root(asgi: bool) -> None:
    req = make_request(asgi, path='')
    assert req.path == '/'


def test_path_is_writable_and_uri_follows_it(asgi: bool) -> None:
    req = make_request(asgi, path='/old')
    req.path = '/new'
    assert req.path == '/new'
    assert req.relative_uri == '/new'


def test_non_ascii_wsgi_path_is_redecoded_as_utf8() -> None:
    req = lanner.Request(environ(path='/héllo/€'))
    assert req.path == '/héllo/€'


def test_invalid_utf8_in_wsgi_path_becomes_replacement_char() -> None:
    env = environ()
    env['PATH_INFO'] = b'/a\xff\xfeb'.decode('latin-1')
    req = lanner.Request(env)
    assert req.path == '/a\ufffd\ufffdb'


def test_non_latin1_wsgi_path_from_a_nonconforming_server_is_kept() -> None:
    env = environ()
    env['PATH_INFO'] = '/日本'
    assert lanner.Request(env).path == '/日本'


def test_path_is_not_percent_decoded_again(asgi: bool) -> None:
    req = make_request(asgi, path='/a%2Fb')
    assert req.path == '/a%2Fb'


def test_asgi_path_is_taken_from_scope_as_is() -> None:
    req = make_request(True, path='/héllo')
    assert req.path == '/héllo'


def test_root_path_and_non_ascii_script_name(asgi: bool) -> None:
    req = make_request(asgi, path='/x', root_path='/mount/ünï')
    assert req.root_path == '/mount/ünï'
    assert req.relative_uri == '/mount/ünï/x'
    assert req.uri == 'http://example.com/mount/ünï/x'
    assert req.prefix == 'http://example.com/mount/ünï'


def test_root_path_missing_is_empty(asgi: bool) -> None:
    if asgi:
        sc = scope()
        del sc['root_path']
        receive, first = receiver()
        req = lanner.asgi.Request(sc, receive, first)
    else:
        env = environ()
        del env['SCRIPT_NAME']
        req = lanner.Request(env)
    assert req.root_path == ''


def test_app_is_a_deprecated_alias_of_root_path(asgi: bool) -> None:
    req = make_request(asgi, root_path='/r')
    with pytest.warns(lanner.util.deprecation.DeprecatedWarning):
        assert req.app == '/r'


@pytest.mark.parametrize(
    ('option', 'path', 'expected'),
    [
        (False, '/a/', '/a/'),
        (True, '/a/', '/a'),
        (True, '/', '/'),
        (True, '/a//', '/a/'),
        (True, '/a', '/a'),
    ],
)
def test_strip_url_path_trailing_slash(asgi: bool, option: bool, path: str, expected: str) -> None:
    options = lanner.RequestOptions()
    options.strip_url_path_trailing_slash = option
    req = make_request(asgi, path=path, query_string='q=1', options=options)
    assert req.path == expected
    assert req.relative_uri == expected + '?q=1'


def test_uri_url_relative_uri(asgi: bool) -> None:
    req = make_request(asgi, path='/p', query_string='x=1', host='api.example.com:8080')
    assert req.uri == 'http://api.example.com:8080/p?x=1'
    assert req.url == req.uri
    assert req.relative_uri == '/p?x=1'
    assert repr(req) == f"<{type(req).__name__}: GET 'http://api.example.com:8080/p?x=1'>"


def test_https_scheme(asgi: bool) -> None:
    req = make_request(asgi, scheme='https', path='/s')
    assert req.scheme == 'https'
    assert req.uri == 'https://example.com/s'


def test_asgi_scheme_defaults() -> None:
    sc = scope()
    del sc['scheme']
    receive, first = receiver()
    assert lanner.asgi.Request(sc, receive, first).scheme == 'http'
    ws = scope(scope_type='websocket')
    del ws['scheme']
    req = lanner.asgi.Request(ws, receive)
    assert req.scheme == 'ws'
    assert req.is_websocket is True
    assert req.method == 'GET'


def test_is_websocket_false_for_http(asgi: bool) -> None:
    assert make_request(asgi).is_websocket is False


@pytest.mark.parametrize(
    ('host', 'scheme', 'exp_host', 'exp_port'),
    [
        ('example.com', 'http', 'example.com', 80),
        ('example.com', 'https', 'example.com', 443),
        ('example.com:8000', 'http', 'example.com', 8000),
        ('[::1]:9000', 'http', '::1', 9000),
        ('[::1]', 'https', '::1', 443),
    ],
)
def test_host_and_port_from_host_header(
    asgi: bool, host: str, scheme: str, exp_host: str, exp_port: int
) -> None:
    req = make_request(asgi, host=host, scheme=scheme)
    assert req.host == exp_host
    assert req.port == exp_port
    assert req.netloc == host


def test_malformed_host_port_does_not_raise(asgi: bool) -> None:
    req = make_request(asgi, host='example.com:notaport')
    assert req.host == 'example.com'
    assert req.port == 80
    assert req.uri == 'http://example.com:notaport/'


def test_no_host_header_uses_server_name_and_port_http10() -> None:
    req = lanner.Request(environ(host=None, server_name='srv.local', server_port='8080'))
    assert req.host == 'srv.local'
    assert req.port == 8080
    assert req.netloc == 'srv.local:8080'
    assert req.uri == 'http://srv.local:8080/'


def test_no_host_header_default_port_is_omitted_from_netloc() -> None:
    req = lanner.Request(
        environ(host=None, server_name='srv.local', server_port='443', scheme='https')
    )
    assert req.netloc == 'srv.local'
    assert req.uri == 'https://srv.local/'


def test_asgi_no_host_header_uses_scope_server() -> None:
    req = make_request(True, host=None, server=('10.1.1.1', 8443), scheme='https')
    assert req.host == '10.1.1.1'
    assert req.port == 8443
    assert req.netloc == '10.1.1.1:8443'


def test_asgi_server_missing_means_localhost() -> None:
    from _reqresp import _UNSET

    req = make_request(True, host=None, server=_UNSET)
    assert req.host == 'localhost'
    assert req.port == 80
    assert req.netloc == 'localhost'
    wss = make_request(True, host=None, server=None, scheme='wss')
    assert wss.port == 443


def test_subdomain(asgi: bool) -> None:
    assert make_request(asgi, host='api.example.com').subdomain == 'api'
    assert make_request(asgi, host='localhost:8000').subdomain is None


def test_remote_addr(asgi: bool) -> None:
    assert make_request(asgi).remote_addr == '10.0.0.1'


def test_remote_addr_default() -> None:
    assert lanner.Request(environ(remote_addr=None)).remote_addr == '127.0.0.1'
    assert make_request(True, client=None).remote_addr == '127.0.0.1'
    assert make_request(True, client=()).remote_addr == '127.0.0.1'
    from _reqresp import _UNSET

    assert make_request(True, client=_UNSET).remote_addr == '127.0.0.1'


def test_forwarded_header_parsed(asgi: bool) -> None:
    req = make_request(
        asgi,
        headers={
            'Forwarded': 'for=192.0.2.60;proto=HTTPS;by=203.0.113.43;host=api.test, for=1.2.3.4'
        },
    )
    hops = req.forwarded
    assert [h.src for h in hops] == ['192.0.2.60', '1.2.3.4']
    assert hops[0].scheme == 'https'
    assert hops[0].dest == '203.0.113.43'
    assert hops[0].host == 'api.test'
    assert req.forwarded_scheme == 'https'
    assert req.forwarded_host == 'api.test'
    assert req.forwarded_uri == 'https://api.test/'
    assert req.forwarded_prefix == 'https://api.test'


def test_forwarded_missing_is_none(asgi: bool) -> None:
    req = make_request(asgi)
    assert req.forwarded is None
    assert req.forwarded_scheme == 'http'
    assert req.forwarded_host == 'example.com'
    assert req.forwarded_uri == req.uri


def test_forwarded_without_proto_or_host_falls_back_to_own(asgi: bool) -> None:
    req = make_request(
        asgi, headers={'Forwarded': 'for=1.2.3.4', 'X-Forwarded-Proto': 'https'}, scheme='http'
    )
    # A Forwarded header wins over X-Forwarded-*, even when it lacks the parameter.
    assert req.forwarded_scheme == 'http'
    assert req.forwarded_host == 'example.com'


def test_x_forwarded_proto_and_host(asgi: bool) -> None:
    req = make_request(
        asgi,
        path='/p',
        query_string='a=b',
        headers={'X-Forwarded-Proto': 'HTTPS', 'X-Forwarded-Host': 'Public.Example:8443'},
    )
    assert req.forwarded_scheme == 'https'
    assert req.forwarded_host == 'Public.Example:8443'
    assert req.forwarded_uri == 'https://Public.Example:8443/p?a=b'


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        (
            {'Forwarded': 'for=192.0.2.43, for="[2001:db8:cafe::17]:4711", for=unknown'},
            ['192.0.2.43', '2001:db8:cafe::17', 'unknown', '10.0.0.1'],
        ),
        ({'Forwarded': 'for="1.2.3.4:80"'}, ['1.2.3.4', '10.0.0.1']),
        ({'X-Forwarded-For': ' 1.1.1.1 , 2.2.2.2,10.0.0.1'}, ['1.1.1.1', '2.2.2.2', '10.0.0.1']),
        ({'X-Real-IP': '3.3.3.3'}, ['3.3.3.3', '10.0.0.1']),
        ({}, ['10.0.0.1']),
        ({'Forwarded': 'for=5.5.5.5', 'X-Forwarded-For': '6.6.6.6'}, ['5.5.5.5', '10.0.0.1']),
    ],
)
def test_access_route(asgi: bool, headers: dict[str, str], expected: list[str]) -> None:
    req = make_request(asgi, headers=headers)
    assert req.access_route == expected


def test_access_route_malformed_xff_returned_as_is(asgi: bool) -> None:
    req = make_request(asgi, headers={'X-Forwarded-For': 'garbage!!, ,x'})
    assert req.access_route == ['garbage!!', '', 'x', '10.0.0.1']


def test_access_route_without_remote_addr() -> None:
    req = lanner.Request(environ(remote_addr=None, headers={'X-Forwarded-For': '1.1.1.1'}))
    assert req.access_route == ['1.1.1.1', '127.0.0.1']


def test_env_and_scope(asgi: bool) -> None:
    req = make_request(asgi)
    if asgi:
        assert req.scope['type'] == 'http'
        with pytest.raises(AttributeError, match=r'req\.scope'):
            req.env  # noqa: B018
    else:
        assert req.env['REQUEST_METHOD'] == 'GET'


def test_uri_template_defaults_to_none_and_is_assignable(asgi: bool) -> None:
    req = make_request(asgi)
    assert req.uri_template is None
    req.uri_template = '/things/{id}'
    assert req.uri_template == '/things/{id}'


def test_context_default_and_adhoc_attributes(asgi: bool) -> None:
    req = make_request(asgi)
    assert isinstance(req.context, lanner.Context)
    req.context.user = 'u'
    assert req.context['user'] == 'u'
    req.custom_attribute = 42  # Request keeps __dict__ for apps that attach data.
    assert req.custom_attribute == 42


def test_context_type_class_and_function(asgi: bool) -> None:
    base: Any = lanner.asgi.Request if asgi else lanner.Request

    class MyContext(dict):  # type: ignore[type-arg]
        pass

    class ReqWithClass(base):  # type: ignore[misc, valid-type]
        context_type = MyContext

    seen: list[Any] = []

    def factory(req: Any) -> str:
        seen.append(req)
        return 'made'

    class ReqWithFunc(base):  # type: ignore[misc, valid-type]
        context_type = factory

    class ReqWithJunk(base):  # type: ignore[misc, valid-type]
        context_type = 42

    def build(cls: Any) -> Any:
        if asgi:
            receive, first = receiver()
            return cls(scope(), receive, first)
        return cls(environ())

    assert isinstance(build(ReqWithClass).context, MyContext)
    req = build(ReqWithFunc)
    assert req.context == 'made'
    assert seen == [req]
    with pytest.raises(TypeError):
        build(ReqWithJunk)


def test_options_default_and_slots() -> None:
    options = lanner.RequestOptions()
    assert options.keep_blank_qs_values is True
    assert options.auto_parse_qs_csv is False
    assert options.strip_url_path_trailing_slash is False
    assert options.default_media_type == 'application/json'
    assert options.auto_parse_form_urlencoded is False
    assert options.max_body_size == 4 * 1024 * 1024
    assert 'application/json' in options.media_handlers
    with pytest.raises(AttributeError):
        options.no_such_option = True  # type: ignore[attr-defined]


def test_auto_parse_form_urlencoded_setter_warns() -> None:
    options = lanner.RequestOptions()
    with pytest.warns(lanner.util.deprecation.DeprecatedWarning):
        options.auto_parse_form_urlencoded = True
    assert options.auto_parse_form_urlencoded is True


def test_log_error_wsgi_writes_to_wsgi_errors() -> None:
    req = lanner.Request(environ(method='POST', path='/p', query_string='a=1'))
    req.log_error('boom')
    line = req.env['wsgi.errors'].getvalue()
    assert line.endswith('[LANNER] [ERROR] POST /p?a=1 => boom\n')
    assert line[:4].isdigit()


def test_log_error_asgi_is_not_implemented() -> None:
    # As in Falcon: an ASGI request has no wsgi.errors stream; apps use logging.
    req = make_request(True, method='PUT', path='/p')
    with pytest.raises(NotImplementedError, match='logging'):
        req.log_error('broken')


def test_asgi_raw_query_string_bytes() -> None:
    # Raw UTF-8 reads as UTF-8 (as in Falcon); invalid UTF-8 falls back to Latin-1, never a 500.
    for raw, expected in ((b'q=caf\xc3\xa9', 'q=café'), (b'q=\xff\xfe', 'q=\xff\xfe')):
        sc = scope()
        sc['query_string'] = raw
        req = lanner.asgi.Request(sc, receiver(b'')[0])
        assert req.query_string == expected
