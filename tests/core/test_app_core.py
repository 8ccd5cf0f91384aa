"""App construction, registration checks and the response contract of both request loops."""

from __future__ import annotations

import asyncio
import http
import io
import re
from typing import Any

import pytest
from support.harness import Client, build_scope, middleware, resource
from support.simple_router import SimpleRouter

import lanner
import lanner.asgi
from lanner.util.deprecation import DeprecatedWarning


def test_media_type_seeds_both_option_objects(make_app: Any) -> None:
    app = make_app(media_type='application/msgpack')
    assert app.req_options.default_media_type == 'application/msgpack'
    assert app.resp_options.default_media_type == 'application/msgpack'
    with pytest.raises(AttributeError):
        app.unknown_attribute = 1


def test_options_and_secure_cookies_as_constructor_keywords(make_app: Any, asgi: bool) -> None:
    req_options = lanner.RequestOptions()
    req_options.default_media_type = 'text/plain'
    resp_options = lanner.ResponseOptions()
    app = make_app(
        req_options=req_options, resp_options=resp_options, secure_cookies_by_default=False
    )
    assert app.req_options is req_options
    assert app.resp_options is resp_options
    assert req_options.default_media_type == 'text/plain'  # kept: media_type was not given
    assert resp_options.secure_cookies_by_default is False

    def on_get(req: Any, resp: Any) -> None:
        resp.set_cookie('flavour', 'oat')

    app.add_route('/', resource(asgi, on_get=on_get))
    assert 'secure' not in Client(app).get('/').headers['set-cookie'].lower()

    explicit = make_app(media_type='application/msgpack', req_options=lanner.RequestOptions())
    assert explicit.req_options.default_media_type == 'application/msgpack'
    with pytest.raises(TypeError, match=r'req_options must be a lanner\.RequestOptions'):
        make_app(req_options={'default_media_type': 'text/plain'})


@pytest.mark.parametrize(
    ('template', 'error'),
    [(b'/bytes', TypeError), ('', ValueError), ('no/slash', ValueError), ('/a//b', ValueError)],
)
def test_add_route_validates_the_template(make_app: Any, template: Any, error: type) -> None:
    with pytest.raises(error):
        make_app().add_route(template, object())


def test_default_response_headers(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.add_route('/empty', resource(asgi, on_get=lambda req, resp: None))
    app.add_route('/text', resource(asgi, on_get=lambda req, resp: setattr(resp, 'text', 'héllo')))
    client = Client(app)
    empty = client.get('/empty')
    assert empty.headers['content-length'] == '0'
    assert empty.headers['content-type'] == 'application/json'
    text = client.get('/text')
    assert text.headers['content-length'] == str(len('héllo'.encode()))


def test_content_length_is_always_the_real_length(make_app: Any, asgi: bool) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.set_header('Content-Length', '999')
        resp.data = b'abc'

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    assert Client(app).get('/').headers['content-length'] == '3'


def test_head_reports_the_length_without_a_body(make_app: Any, asgi: bool) -> None:
    def on_head(req: Any, resp: Any) -> None:
        resp.media = {'hello': 'world'}

    app = make_app()
    app.add_route('/', resource(asgi, on_head=on_head, on_get=lambda req, resp: None))
    result = Client(app).head('/')
    assert result.content == b''
    assert int(result.headers['content-length']) > 0
    assert result.headers['content-type'] == 'application/json'


def test_head_keeps_an_explicit_content_length(make_app: Any, asgi: bool) -> None:
    def on_head(req: Any, resp: Any) -> None:
        resp.set_header('Content-Length', '1234')

    app = make_app()
    app.add_route('/', resource(asgi, on_head=on_head))
    assert Client(app).head('/').headers['content-length'] == '1234'


@pytest.mark.parametrize('status', [lanner.HTTP_204, 304, http.HTTPStatus.NO_CONTENT])
def test_bodiless_statuses(make_app: Any, asgi: bool, status: Any) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.status = status
        resp.text = 'dropped'

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    result = Client(app).get('/')
    assert result.content == b''
    assert 'content-type' not in result.headers
    assert 'content-length' not in result.headers


def test_int_status(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.add_route('/', resource(asgi, on_get=lambda req, resp: setattr(resp, 'status', 201)))
    result = Client(app).get('/')
    assert result.status_code == 201 and result.status == '201 Created'


def test_stream_bodies_and_closing(make_app: Any, asgi: bool) -> None:
    stream = io.BytesIO(b'a' * 10000)

    def on_get(req: Any, resp: Any) -> None:
        resp.stream = stream

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    result = Client(app).get('/')
    assert result.content == b'a' * 10000
    assert 'content-length' not in result.headers
    assert stream.closed


def test_stream_with_a_non_callable_close_attribute(make_app: Any, asgi: bool) -> None:
    class Reader:
        close = False  # not a method: nothing to call when the response is over

        def __init__(self, data: bytes) -> None:
            self.read = io.BytesIO(data).read

    def on_get(req: Any, resp: Any) -> None:
        resp.set_stream(Reader(b'payload'), 7)

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    result = Client(app).get('/')
    assert (result.status_code, result.content) == (200, b'payload')


def test_async_stream_is_closed(make_app: Any, asgi: bool) -> None:
    if not asgi:
        pytest.skip('ASGI only')
    closed: list[bool] = []

    async def chunks() -> Any:
        try:
            yield b'one'
            yield None  # stops the stream
            yield b'never'
        finally:
            closed.append(True)

    app = make_app()
    app.add_route('/', resource(True, on_get=lambda req, resp: setattr(resp, 'stream', chunks())))
    result = Client(app).get('/')
    assert result.content == b'one'
    assert closed == [True]


def test_sinks_lifo_groups_and_no_process_resource(make_app: Any, asgi: bool) -> None:
    resources: list[Any] = []

    def first(req: Any, resp: Any, **groups: Any) -> None:
        resp.media = {'sink': 'first', **groups}

    def second(req: Any, resp: Any, **groups: Any) -> None:
        resp.media = {'sink': 'second', **groups}

    def adapt(func: Any) -> Any:
        if not asgi:
            return func

        async def sink(req: Any, resp: Any, **groups: Any) -> None:
            func(req, resp, **groups)

        return sink

    app = make_app(
        middleware=middleware(
            asgi,
            process_resource=lambda *a: resources.append('resource'),
            process_response=lambda req, resp, res, ok: resources.append(res),
        )
    )
    app.add_sink(adapt(first), r'/books/(?P<book>\d+)/(?P<page>\d+)')
    app.add_sink(adapt(second), re.compile(r'/books'))
    app.add_route('/books/special', resource(asgi, on_get=lambda req, resp: None))
    client = Client(app)
    assert client.get('/books/12').json == {'sink': 'second'}
    assert client.post('/booksmore').json == {'sink': 'second'}  # prefix match, any method
    app.add_sink(adapt(first), r'/books/(?P<book>\d+)/(?P<page>\d+)')  # now the latest
    assert client.get('/books/1/2').json == {'sink': 'first', 'book': '1', 'page': '2'}
    assert resources == [None, None, None]  # process_resource never runs for sinks
    assert client.get('/books/special').content == b''  # routes take precedence over sinks
    assert resources[3] == 'resource'


def test_sink_and_static_route_order(make_app: Any, asgi: bool, tmp_path: Any) -> None:
    (tmp_path / 'file.txt').write_text('static')

    def sink(req: Any, resp: Any, **kwargs: Any) -> None:
        resp.text = 'sink'

    async def sink_async(req: Any, resp: Any, **kwargs: Any) -> None:
        resp.text = 'sink'

    for sink_first, expected in ((True, 'sink'), (False, 'static')):
        app = make_app(sink_before_static_route=sink_first)
        app.add_static_route('/static', str(tmp_path))
        app.add_sink(sink_async if asgi else sink, '/static')
        assert Client(app).get('/static/file.txt').text == expected


def test_legacy_three_tuple_router(asgi: bool) -> None:
    class LegacyRouter:
        def __init__(self) -> None:
            self.resource: Any = None
            self.method_map: Any = None

        def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
            from lanner.router_support import map_http_methods, set_default_responders

            self.resource = resource
            self.method_map = map_http_methods(resource)
            set_default_responders(self.method_map, asgi=kwargs.get('_asgi', False))

        def find(self, uri: str, req: Any = None) -> Any:
            if uri == '/legacy':
                return self.resource, self.method_map, {}
            return None, None, None

    cls = lanner.asgi.App if asgi else lanner.App
    app = cls(router=LegacyRouter())
    app.add_route(
        '/legacy',
        resource(asgi, on_get=lambda req, resp: setattr(resp, 'text', str(req.uri_template))),
    )
    client = Client(app)
    assert client.get('/legacy').text == 'None'
    assert client.get('/other').status_code == 404


def test_router_options() -> None:
    router = SimpleRouter()
    assert lanner.App(router=router).router_options is router.options

    class NoOptions:
        def add_route(self, *args: Any, **kwargs: Any) -> None:
            pass

        def find(self, uri: str, req: Any = None) -> Any:
            return None

    with pytest.raises(AttributeError):
        _ = lanner.App(router=NoOptions()).router_options


def test_custom_request_and_response_types(make_app: Any, asgi: bool) -> None:
    base_req = lanner.asgi.Request if asgi else lanner.Request
    base_resp = lanner.asgi.Response if asgi else lanner.Response

    class MyRequest(base_req):  # type: ignore[valid-type,misc]
        pass

    class MyResponse(base_resp):  # type: ignore[valid-type,misc]
        pass

    def on_get(req: Any, resp: Any) -> None:
        resp.media = [type(req).__name__, type(resp).__name__]

    app = make_app(request_type=MyRequest, response_type=MyResponse)
    app.add_route('/', resource(asgi, on_get=on_get))
    assert Client(app).get('/').json == ['MyRequest', 'MyResponse']


def test_apps_are_generic_in_request_and_response_types(asgi: bool) -> None:
    # Falcon 4.2+: App[RequestT, ResponseT]. Ported code may subscript the class at runtime.
    import typing

    app_class = lanner.asgi.App if asgi else lanner.App
    base_req = lanner.asgi.Request if asgi else lanner.Request
    base_resp = lanner.asgi.Response if asgi else lanner.Response
    req_var, resp_var = app_class.__parameters__  # type: ignore[attr-defined]
    assert isinstance(req_var, typing.TypeVar) and req_var.__bound__ is base_req
    assert isinstance(resp_var, typing.TypeVar) and resp_var.__bound__ is base_resp

    class MyRequest(base_req):  # type: ignore[valid-type,misc]
        pass

    alias = app_class[MyRequest, base_resp]  # type: ignore[index]
    assert typing.get_origin(alias) is app_class
    assert typing.get_args(alias) == (MyRequest, base_resp)

    app = alias(request_type=MyRequest, router=SimpleRouter())
    assert type(app) is app_class
    app.add_route(
        '/', resource(asgi, on_get=lambda req, resp: setattr(resp, 'media', type(req).__name__))
    )
    assert Client(app).get('/').json == 'MyRequest'


def test_api_alias_is_deprecated() -> None:
    # Falcon's wording: code written for Falcon matches on it.
    with pytest.warns(DeprecatedWarning, match='API class will be removed in Falcon 5.0'):
        app = lanner.API(router=SimpleRouter())
    assert isinstance(app, lanner.App)


async def test_asgi_first_event_disconnect_sends_nothing() -> None:
    app = lanner.asgi.App(router=SimpleRouter())
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {'type': 'http.disconnect'}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(build_scope('GET', '/'), receive, send)
    assert sent == []


@pytest.mark.parametrize(
    ('changes', 'error'),
    [
        ({'type': 'unknown'}, lanner.UnsupportedScopeError),
        ({'asgi': {'version': '3.0', 'spec_version': '3.0'}}, lanner.UnsupportedScopeError),
        ({'http_version': '0.9'}, lanner.UnsupportedError),
    ],
)
def test_asgi_scope_validation(changes: dict[str, Any], error: type) -> None:
    app = lanner.asgi.App(router=SimpleRouter())
    scope = {**build_scope('GET', '/'), **changes}

    async def receive() -> dict[str, Any]:
        return {'type': 'http.request', 'body': b''}

    async def send(message: dict[str, Any]) -> None:
        pass

    with pytest.raises(error):
        asyncio.run(app(scope, receive, send))


def test_asgi_scope_without_asgi_key() -> None:
    app = lanner.asgi.App(router=SimpleRouter())
    app.add_route('/', resource(True, on_get=lambda req, resp: setattr(resp, 'text', 'ok')))
    scope = build_scope('GET', '/')
    del scope['asgi']
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {'type': 'http.request', 'body': b''}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert scope['asgi'] == {'version': '2.0'}
    assert sent[-1]['body'] == b'ok'


def test_asgi_app_is_a_coroutine_function() -> None:
    import inspect

    app = lanner.asgi.App(router=SimpleRouter())
    assert inspect.iscoroutinefunction(app.__call__)
