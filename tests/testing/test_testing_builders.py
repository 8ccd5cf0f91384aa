"""Environ/scope/request builders, ASGI emitters and collectors, and the small helpers."""

from __future__ import annotations

import asyncio
import inspect
import io
import socket
import sys
import time
from typing import Any

import pytest
from support.simple_router import SimpleRouter

import lanner
from lanner import testing
from lanner.util.deprecation import DeprecatedWarning


class TestCreateEnviron:
    def test_defaults(self) -> None:
        env = testing.create_environ()
        assert env['REQUEST_METHOD'] == 'GET'
        assert env['PATH_INFO'] == '/'
        assert env['QUERY_STRING'] == ''
        assert env['SERVER_PROTOCOL'] == 'HTTP/1.1'
        assert env['SERVER_NAME'] == testing.DEFAULT_HOST == 'falconframework.org'
        assert env['SERVER_PORT'] == '80'
        assert env['HTTP_HOST'] == 'falconframework.org'
        assert env['HTTP_USER_AGENT'] == testing.DEFAULT_UA
        assert env['SCRIPT_NAME'] == ''
        assert env['wsgi.url_scheme'] == 'http'
        assert env['wsgi.errors'] is sys.stderr
        assert env['wsgi.input'].read() == b''
        assert 'CONTENT_LENGTH' not in env
        assert 'REMOTE_ADDR' not in env
        assert 'wsgi.file_wrapper' not in env

    def test_empty_path_is_the_root(self) -> None:
        env = testing.create_environ(path='')
        assert env['PATH_INFO'] == ''
        assert testing.create_req(path='').path == '/'
        assert testing.create_asgi_req(path='').path == '/'
        with pytest.raises(ValueError, match="must start with '/'"):
            testing.create_environ(path='no-slash')

    def test_path_is_decoded_and_latin1_tunnelled(self) -> None:
        env = testing.create_environ('/caf%C3%A9/%E2%82%AC+x')
        assert env['PATH_INFO'] == '/café/€+x'.encode().decode('latin-1')
        assert env['RAW_URI'] == '/caf%C3%A9/%E2%82%AC+x'

    def test_ports_and_host_header(self) -> None:
        assert testing.create_environ(scheme='https')['SERVER_PORT'] == '443'
        assert testing.create_environ(scheme='HTTPS')['wsgi.url_scheme'] == 'https'
        env = testing.create_environ(scheme='https', port=8443, host='h')
        assert env['HTTP_HOST'] == 'h:8443'
        assert (
            testing.create_environ(port='443', scheme='https')['HTTP_HOST'] == 'falconframework.org'
        )
        assert 'HTTP_HOST' not in testing.create_environ(http_version='1.0')

    def test_body_headers_cookies(self) -> None:
        env = testing.create_environ(
            body='é',
            headers={'Content-Type': 'text/plain', 'X-Things': 'a', 'Cookie': 'z=1'},
            cookies={'a': 'b'},
            method='POST',
        )
        assert env['wsgi.input'].read() == 'é'.encode()
        assert env['CONTENT_LENGTH'] == '2'
        assert env['CONTENT_TYPE'] == 'text/plain'
        assert env['HTTP_X_THINGS'] == 'a'
        # Cookie is a singleton header: the explicit header wins over cookies=.
        assert env['HTTP_COOKIE'] == 'z=1'
        assert testing.create_environ(cookies={'a': 'b'})['HTTP_COOKIE'] == 'a=b'

    def test_root_path_and_deprecated_app_alias(self) -> None:
        assert testing.create_environ(root_path='x')['SCRIPT_NAME'] == '/x'
        assert testing.create_environ(app='/y')['SCRIPT_NAME'] == '/y'
        assert testing.create_environ(app='/y', root_path='/z')['SCRIPT_NAME'] == '/z'

    def test_wsgi_extras(self) -> None:
        errors = io.StringIO()
        env = testing.create_environ(wsgierrors=errors, file_wrapper=print, remote_addr='1.2.3.4')
        assert env['wsgi.errors'] is errors
        assert env['wsgi.file_wrapper'] is print
        assert env['REMOTE_ADDR'] == '1.2.3.4'

    @pytest.mark.parametrize(
        ('kwargs', 'error'),
        [
            ({'query_string': '?a'}, ValueError),
            ({'http_version': '3'}, ValueError),
            ({'path': 'x'}, ValueError),
            ({'body': 5}, TypeError),
            ({'port': 0}, ValueError),
        ],
    )
    def test_validation(self, kwargs: dict[str, Any], error: type[Exception]) -> None:
        with pytest.raises(error):
            testing.create_environ(**kwargs)


class TestCreateScope:
    def test_query_string_none_is_empty(self) -> None:
        assert testing.create_scope(query_string=None)['query_string'] == b''  # type: ignore[arg-type]
        assert testing.create_environ(query_string=None)['QUERY_STRING'] == ''  # type: ignore[arg-type]

    def test_cookies_from_any_object_with_items(self) -> None:
        class Jar:
            def items(self) -> list[tuple[str, str]]:
                return [('k', 'v')]

        scope = testing.create_scope(cookies=Jar())  # type: ignore[arg-type]
        assert (b'cookie', b'k=v') in [tuple(pair) for pair in scope['headers']]

    def test_defaults(self) -> None:
        scope = testing.create_scope()
        assert scope['type'] == 'http'
        assert scope['asgi'] == {'version': '3.0', 'spec_version': '2.1'}
        assert scope['http_version'] == '1.1'
        assert scope['method'] == 'GET'
        assert scope['path'] == '/'
        assert scope['raw_path'] == b'/'
        assert scope['query_string'] == b''
        assert 'scheme' not in scope
        assert 'client' not in scope
        assert 'root_path' not in scope
        assert tuple(scope['server']) == ('falconframework.org', 80)
        headers = [tuple(pair) for pair in scope['headers']]
        assert (b'host', b'falconframework.org') in headers
        assert (b'user-agent', testing.DEFAULT_UA.encode()) in headers

    def test_iterables_are_one_shot_iterators(self) -> None:
        # The ASGI spec promises iterables only; apps must not index or re-read them.
        scope = testing.create_scope(remote_addr='10.0.0.1')
        for key in ('headers', 'client', 'server'):
            assert iter(scope[key]) is scope[key]
        assert list(scope['headers'])
        assert list(scope['headers']) == []
        host, port = scope['client']
        assert host == '10.0.0.1'
        assert 49152 <= port <= 65535

    def test_everything(self) -> None:
        scope = testing.create_scope(
            path='/a%20b',
            query_string='q=1',
            method='post',
            headers=[('X-A', '1'), ('X-A', '2')],
            host='h',
            scheme='https',
            port=444,
            http_version='2.0',
            root_path='api',
            content_length=12,
            include_server=False,
            cookies={'c': 'd'},
        )
        assert scope['method'] == 'POST'
        assert scope['path'] == '/a b'
        assert scope['raw_path'] == b'/a%20b'
        assert scope['query_string'] == b'q=1'
        assert scope['scheme'] == 'https'
        assert scope['http_version'] == '2'
        assert scope['root_path'] == '/api'
        assert 'server' not in scope
        headers = [tuple(pair) for pair in scope['headers']]
        assert headers.count((b'x-a', b'1')) == headers.count((b'x-a', b'2')) == 1
        assert (b'content-length', b'12') in headers
        assert (b'host', b'h:444') in headers
        assert (b'cookie', b'c=d') in headers

    def test_no_cookies_for_options_and_no_host_for_http10(self) -> None:
        headers = [
            tuple(p) for p in testing.create_scope(method='OPTIONS', cookies={'a': 'b'})['headers']
        ]
        assert not any(name == b'cookie' for name, _ in headers)
        headers = [tuple(p) for p in testing.create_scope(http_version='1.0')['headers']]
        assert not any(name == b'host' for name, _ in headers)

    def test_validation(self) -> None:
        with pytest.raises(ValueError, match='scheme must be'):
            testing.create_scope(scheme='ftp')
        with pytest.raises(ValueError, match='cannot be sent over ASGI'):
            testing.create_scope(headers={'X-A': '€'})

    def test_websocket_scope(self) -> None:
        scope = testing.create_scope_ws('/ws', subprotocols=['a', 'b'], spec_version='2.3')
        assert scope['type'] == 'websocket'
        assert 'method' not in scope
        assert scope['subprotocols'] == ['a', 'b']
        assert scope['asgi']['spec_version'] == '2.3'
        assert tuple(scope['server']) == ('falconframework.org', 80)
        assert testing.create_scope_ws(scheme='wss')['scheme'] == 'wss'
        assert tuple(testing.create_scope_ws(scheme='wss')['server'])[1] == 443
        assert 'subprotocols' not in testing.create_scope_ws()
        with pytest.raises(TypeError, match='list of str'):
            testing.create_scope_ws(subprotocols='chat')


class TestRequestBuilders:
    def test_create_req(self) -> None:
        from lanner import Request, RequestOptions

        options = RequestOptions()
        req = testing.create_req(options=options, path='/x', query_string='a=1', method='PUT')
        assert isinstance(req, Request)
        assert req.options is options
        assert (req.method, req.path, req.get_param('a')) == ('PUT', '/x', '1')

    async def test_create_asgi_req(self) -> None:
        import lanner.asgi

        req = testing.create_asgi_req(body=b'hello', path='/y', method='POST')
        assert isinstance(req, lanner.asgi.Request)
        assert (req.method, req.path, req.content_length) == ('POST', '/y', 5)
        assert await req.stream.read() == b'hello'

        class MyRequest(lanner.asgi.Request):
            pass

        assert isinstance(testing.create_asgi_req(req_type=MyRequest), MyRequest)


class TestRequestEmitter:
    async def test_chunks_then_disconnect_when_asked(self) -> None:
        emitter = testing.ASGIRequestEventEmitter(b'abcde', chunk_size=2)
        events = [await emitter() for _ in range(5)]
        assert [e['body'] for e in events] == [b'ab', b'', b'cd', b'', b'e']
        assert [e['more_body'] for e in events] == [True, True, True, True, False]
        assert not emitter.disconnected
        waiter = asyncio.ensure_future(emitter())
        await asyncio.sleep(0.01)
        assert not waiter.done()  # parked until the client disconnects
        emitter.disconnect()
        assert (await waiter)['type'] == 'http.disconnect'
        assert emitter.disconnected
        assert (await emitter())['type'] == 'http.disconnect'

    async def test_str_body_and_empty_body(self) -> None:
        assert (await testing.ASGIRequestEventEmitter('é')())['body'] == 'é'.encode()
        event = await testing.ASGIRequestEventEmitter()()
        assert event == {'type': 'http.request', 'body': b'', 'more_body': False}

    async def test_disconnect_at(self) -> None:
        immediate = testing.ASGIRequestEventEmitter(b'x', disconnect_at=0)
        assert (await immediate())['type'] == 'http.disconnect'
        soon = testing.ASGIRequestEventEmitter(b'', disconnect_at=time.time() + 0.05)
        await soon()
        start = time.monotonic()
        assert (await soon())['type'] == 'http.disconnect'
        assert time.monotonic() - start < 2

    async def test_disconnect_without_exhausting_the_body(self) -> None:
        emitter = testing.ASGIRequestEventEmitter(b'abcd', chunk_size=1)
        await emitter()
        emitter.disconnect(exhaust_body=False)
        assert (await emitter())['type'] == 'http.disconnect'

    def test_validation(self) -> None:
        with pytest.raises(TypeError, match='body must be str or bytes'):
            testing.ASGIRequestEventEmitter(123)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match='chunk_size'):
            testing.ASGIRequestEventEmitter(b'', chunk_size=0)


class TestLifespanEmitter:
    async def test_sequence(self) -> None:
        condition = asyncio.Condition()
        emitter = testing.ASGILifespanEventEmitter(condition)
        assert (await emitter())['type'] == 'lifespan.startup'
        assert (await emitter())['type'] not in ('lifespan.startup', 'lifespan.shutdown')
        waiter = asyncio.ensure_future(emitter())
        await asyncio.sleep(0.01)
        assert not waiter.done()
        assert emitter.waiting_for_shutdown
        async with condition:
            condition.notify()
        assert (await waiter)['type'] == 'lifespan.shutdown'

    async def test_startup_reply_arrives_after_one_yield(self) -> None:
        # A lifespan exchange needs no extra turns of the loop (tests written for Falcon yield
        # once and look for the reply). The fake router: lifespan needs no lanner-routing.
        app = lanner.asgi.App(router=SimpleRouter())
        condition = asyncio.Condition()
        emitter = testing.ASGILifespanEventEmitter(condition)
        collector = testing.ASGIResponseEventCollector()
        scope = {'type': 'lifespan', 'asgi': {'version': '3.0', 'spec_version': '2.0'}}
        task = asyncio.ensure_future(app(scope, emitter, collector))
        await asyncio.sleep(0)
        assert [e['type'] for e in collector.events] == ['lifespan.startup.complete']
        async with condition:
            condition.notify()
        await task
        assert collector.events[-1]['type'] == 'lifespan.shutdown.complete'


class TestResponseCollector:
    async def test_records_a_response(self) -> None:
        collector = testing.ASGIResponseEventCollector()
        await collector(
            {
                'type': 'http.response.start',
                'status': 200,
                'headers': [(b'content-type', b'text/plain'), (b'x-a', b'\xe9')],
            }
        )
        await collector({'type': 'http.response.body', 'body': b'a', 'more_body': True})
        await collector({'type': 'http.response.body', 'body': b''})
        assert collector.status == 200
        assert collector.headers == [('content-type', 'text/plain'), ('x-a', 'é')]
        assert collector.body_chunks == [b'a']
        assert collector.more_body is False
        assert len(collector.events) == 3

    async def test_lifespan_events_are_accepted(self) -> None:
        collector = testing.ASGIResponseEventCollector()
        await collector({'type': 'lifespan.startup.complete'})
        await collector({'type': 'lifespan.shutdown.failed', 'message': 'x'})
        assert [e['type'] for e in collector.events] == [
            'lifespan.startup.complete',
            'lifespan.shutdown.failed',
        ]

    @pytest.mark.parametrize(
        ('events', 'error', 'match'),
        [
            ([{'type': 1}], TypeError, 'str "type"'),
            (['not a dict'], TypeError, 'str "type"'),
            ([{'type': 'http.response.trailers'}], ValueError, 'Invalid ASGI event type'),
            ([{'type': 'http.response.start', 'status': '200'}], TypeError, 'must be an int'),
            (
                [{'type': 'http.response.start', 'status': 200, 'headers': [('a', b'b')]}],
                TypeError,
                'must be bytes',
            ),
            (
                [{'type': 'http.response.start', 'status': 200, 'headers': [(b'X-A', b'b')]}],
                ValueError,
                'lower-case',
            ),
            (
                [{'type': 'http.response.start', 'status': 200, 'headers': [(b'a b', b'b')]}],
                ValueError,
                'Bad header name',
            ),
            (
                [
                    {
                        'type': 'http.response.start',
                        'status': 200,
                        'headers': [(b'location', b'/x\r\nset-cookie: a=b')],
                    }
                ],
                ValueError,
                'control',
            ),
            (
                [{'type': 'http.response.start', 'status': 200, 'headers': [(b'a', b'\x00')]}],
                ValueError,
                'control',
            ),
            ([{'type': 'http.response.body', 'body': b''}], ValueError, 'before'),
            (
                [
                    {'type': 'http.response.start', 'status': 200},
                    {'type': 'http.response.start', 'status': 200},
                ],
                ValueError,
                'twice',
            ),
            (
                [
                    {'type': 'http.response.start', 'status': 200},
                    {'type': 'http.response.body', 'body': 'text'},
                ],
                TypeError,
                'must be bytes',
            ),
            (
                [
                    {'type': 'http.response.start', 'status': 200},
                    {'type': 'http.response.body', 'body': b'', 'more_body': 1},
                ],
                TypeError,
                'bool',
            ),
        ],
    )
    async def test_rejects_what_a_strict_server_would(
        self, events: list[Any], error: type[Exception], match: str
    ) -> None:
        collector = testing.ASGIResponseEventCollector()
        with pytest.raises(error, match=match):
            for event in events:
                await collector(event)


async def test_collector_ignores_body_events_after_the_final_one() -> None:
    # As a server does once the response is complete (and Falcon's collector).
    collector = testing.ASGIResponseEventCollector()
    await collector({'type': 'http.response.start', 'status': 200})
    await collector({'type': 'http.response.body', 'body': b'done', 'more_body': False})
    await collector({'type': 'http.response.body', 'body': b'late'})
    assert len(collector.events) == 2
    assert collector.body_chunks == [b'done']


async def test_collector_checks_body_types_before_the_order() -> None:
    collector = testing.ASGIResponseEventCollector()
    with pytest.raises(TypeError):
        await collector({'type': 'http.response.body', 'body': 'not bytes'})


def test_scope_raw_path_has_no_query_string() -> None:
    scope = testing.create_scope(path='/cache/a%2Fb?x=1')
    assert scope['raw_path'] == b'/cache/a%2Fb'


class TestStartResponseMock:
    def test_records_calls(self) -> None:
        mock = testing.StartResponseMock()
        assert mock.call_count == 0
        assert mock.status is None
        write = mock('200 OK', [('Content-Type', 'text/plain'), ('X-A', '1')])
        assert callable(write)
        assert mock.call_count == 1
        assert mock.status == '200 OK'
        assert mock.headers == [('content-type', 'text/plain'), ('x-a', '1')]
        assert mock.headers_dict['CONTENT-TYPE'] == 'text/plain'
        assert mock.exc_info is None
        info = (ValueError, ValueError('x'), None)
        mock('500 Internal Server Error', [], info)  # type: ignore[arg-type]
        assert mock.call_count == 2
        assert mock.exc_info is info


def test_closed_wsgi_iterable() -> None:
    started = []
    closed = []

    class Body:
        def __iter__(self) -> Any:
            started.append(True)
            yield b'a'
            yield b'b'

        def close(self) -> None:
            closed.append(True)

    wrapped = testing.closed_wsgi_iterable(Body())
    assert started == [True]  # the first chunk is prefetched
    assert list(wrapped) == [b'a', b'b']
    assert closed == [True]
    assert list(testing.closed_wsgi_iterable([])) == []


def test_rand_string() -> None:
    for _ in range(20):
        value = testing.rand_string(3, 6)
        assert 3 <= len(value) <= 6
        assert all(32 <= ord(c) <= 126 for c in value)


def test_get_unused_port() -> None:
    port = testing.get_unused_port()
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', port))


def test_deprecated_helpers() -> None:
    with pytest.warns(DeprecatedWarning, match='httpnow'):
        assert testing.httpnow().endswith(' GMT')
    # A wrapper of lanner.http_now itself, as Falcon's alias is.
    assert inspect.unwrap(testing.httpnow) is lanner.http_now
    out, err = io.StringIO(), io.StringIO()
    with pytest.warns(DeprecatedWarning, match='use contextlib.redirect_stdout and contextlib'):
        manager = testing.redirected(stdout=out, stderr=err)
    with manager:
        print('to out')
        print('to err', file=sys.stderr)
    assert out.getvalue() == 'to out\n'
    assert err.getvalue() == 'to err\n'
    assert sys.stdout is not out
    assert sys.stderr is not err
