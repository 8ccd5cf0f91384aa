"""Routing seen through an App (WSGI and ASGI): 404/405/400/OPTIONS, options, custom routers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.harness import Client, resource

from lanner import constants
from lanner.errors import HTTPRouteNotFound
from lanner.router_support import map_http_methods, set_default_responders, validate_responders
from lanner.routing import BaseConverter, CompiledRouter


def media(**values: Any) -> Callable[..., None]:
    def responder(req: Any, resp: Any, **params: Any) -> None:
        resp.media = {**values, **{k: str(v) for k, v in params.items()}}

    return responder


def test_params_reach_the_responder(make_app: Callable[..., Any], asgi: bool) -> None:
    seen: dict[str, Any] = {}

    def on_get(req: Any, resp: Any, user_id: int, slug: str) -> None:
        seen.update(user_id=user_id, slug=slug, template=req.uri_template)

    app = make_app()
    app.add_route('/users/{user_id:int}/posts/{slug}', resource(asgi, on_get=on_get))
    assert Client(app).get('/users/42/posts/hello world').status_code == 200
    assert seen == {
        'user_id': 42,
        'slug': 'hello world',
        'template': '/users/{user_id:int}/posts/{slug}',
    }


def test_no_route_is_404(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.add_route('/items/{id:int}', resource(asgi, on_get=media()))
    client = Client(app)
    for path in ('/nothing', '/items', '/items/abc', '/items/1/extra', '/items/1/'):
        result = client.get(path)
        assert result.status_code == 404, path
        assert result.json == {'title': '404 Not Found'}


def test_route_misses_raise_http_route_not_found(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()

    def handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.status = 404
        resp.media = {'missing': req.path}

    async def async_handler(req: Any, resp: Any, ex: Exception, params: Any, **kw: Any) -> None:
        handler(req, resp, ex, params)

    app.add_error_handler(HTTPRouteNotFound, async_handler if asgi else handler)
    assert Client(app).get('/where').json == {'missing': '/where'}


def test_405_lists_allowed_methods(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.add_route(
        '/r',
        resource(asgi, on_get=media(), on_put=media(), on_report=media(), on_head=media()),
    )
    result = Client(app).post('/r')
    assert result.status_code == 405
    assert result.headers['allow'] == 'GET, HEAD, PUT, REPORT, OPTIONS'


def test_head_is_not_derived_from_get(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.add_route('/r', resource(asgi, on_get=media()))
    assert Client(app).head('/r').status_code == 405


def test_default_options(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.add_route('/r', resource(asgi, on_get=media(), on_post=media()))
    result = Client(app).options('/r')
    assert result.status_code == 200
    assert result.headers['allow'] == 'GET, POST'
    assert result.headers['content-length'] == '0'
    assert result.content == b''


def test_default_to_on_request(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.router_options.default_to_on_request = True
    app.add_route('/r', resource(asgi, on_request=media(via='on_request')))
    client = Client(app, validate_wsgi=False)  # wsgiref's validator warns about PROPFIND
    for method in ('GET', 'POST', 'DELETE', 'PROPFIND'):
        assert client.request(method, '/r').json == {'via': 'on_request'}, method
    options = client.options('/r')
    assert options.status_code == 200
    assert 'allow' not in options.headers


def test_unknown_method_is_400(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.add_route('/r', resource(asgi, on_get=media()))
    result = Client(app, validate_wsgi=False).request('FOOBAR', '/r')
    assert result.status_code == 400
    assert result.json == {'title': 'Bad request', 'description': 'Invalid HTTP method'}


def test_custom_method(
    make_app: Callable[..., Any], asgi: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(constants, 'COMBINED_METHODS', [*constants.COMBINED_METHODS, 'PURGE'])
    app = make_app()
    app.add_route('/r', resource(asgi, on_get=media(), on_purge=media(purged=True)))
    client = Client(app, validate_wsgi=False)
    assert client.request('PURGE', '/r').json == {'purged': True}
    result = client.post('/r')
    assert result.headers['allow'] == 'GET, PURGE, OPTIONS'


def test_suffix(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    items = resource(asgi, on_get=media(kind='item'), on_get_collection=media(kind='collection'))
    app.add_route('/items', items, suffix='collection')
    app.add_route('/items/{id}', items)
    client = Client(app)
    assert client.get('/items').json == {'kind': 'collection'}
    assert client.get('/items/3').json == {'kind': 'item', 'id': '3'}


def test_custom_converter_via_router_options(make_app: Callable[..., Any], asgi: bool) -> None:
    class Slug(BaseConverter):
        def convert(self, value: str) -> str | None:
            return value if value.isidentifier() else None

    app = make_app()
    app.router_options.converters['slug'] = Slug
    app.add_route('/posts/{name:slug}', resource(asgi, on_get=media()))
    client = Client(app)
    assert client.get('/posts/hello').json == {'name': 'hello'}
    assert client.get('/posts/not-a-slug').status_code == 404


def test_strip_url_path_trailing_slash(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.req_options.strip_url_path_trailing_slash = True
    app.add_route('/', resource(asgi, on_get=media(at='root')))
    app.add_route('/foo', resource(asgi, on_get=media(at='foo')))
    app.add_route('/bar/', resource(asgi, on_get=media(at='bar')))
    client = Client(app)
    assert client.get('/').json == {'at': 'root'}
    assert client.get('/foo').json == {'at': 'foo'}
    assert client.get('/foo/').json == {'at': 'foo'}
    # A template with a trailing slash can no longer be reached.
    assert client.get('/bar/').status_code == 404
    assert client.get('/bar').status_code == 404


def test_trailing_slash_is_strict_by_default(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()
    app.add_route('/foo', resource(asgi, on_get=media(at='foo')))
    client = Client(app)
    assert client.get('/foo').status_code == 200
    assert client.get('/foo/').status_code == 404


def test_wrong_responder_kind_fails_at_add_route(make_app: Callable[..., Any], asgi: bool) -> None:
    class Sync:
        def on_get(self, req: Any, resp: Any) -> None:
            pass

    class Async:
        async def on_get(self, req: Any, resp: Any) -> None:
            pass

    app = make_app()
    with pytest.raises(TypeError, match='responder'):
        app.add_route('/r', Async() if not asgi else Sync())


def test_routes_take_precedence_over_sinks(make_app: Callable[..., Any], asgi: bool) -> None:
    def sink(req: Any, resp: Any, **kw: Any) -> None:
        resp.media = {'via': 'sink'}

    async def async_sink(req: Any, resp: Any, **kw: Any) -> None:
        sink(req, resp)

    app = make_app()
    app.add_sink(async_sink if asgi else sink, '/s')
    app.add_route('/s/route', resource(asgi, on_get=media(via='route')))
    client = Client(app)
    assert client.get('/s/route').json == {'via': 'route'}
    assert client.get('/s/other').json == {'via': 'sink'}


class PlainRouter:
    """A third-party router written against lanner-core only (exact-match templates)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[object, dict[str, Any], str]] = {}
        self.kwargs: list[dict[str, Any]] = []
        self.find_calls: list[tuple[str, object]] = []

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
        self.kwargs.append(kwargs)
        asgi = kwargs.get('_asgi', False)
        method_map = map_http_methods(resource, suffix=kwargs.get('suffix'))
        set_default_responders(method_map, asgi=asgi)
        validate_responders(method_map, asgi=asgi, uri_template=uri_template)
        self.routes[uri_template] = (resource, method_map, uri_template)

    def find(self, uri: str, req: Any = None) -> Any:
        self.find_calls.append((uri, req))
        hit = self.routes.get(uri)
        if hit is None:
            return None
        return hit[0], hit[1], {}, hit[2]


def test_third_party_router(make_app: Callable[..., Any], asgi: bool) -> None:
    router = PlainRouter()
    app = make_app(router=router)
    app.add_route('/hello', resource(asgi, on_get=media(hi='there')), flavour='vanilla')
    client = Client(app)
    assert client.get('/hello').json == {'hi': 'there'}
    assert client.post('/hello').status_code == 405
    assert client.options('/hello').headers['allow'] == 'GET'
    assert client.get('/nope').status_code == 404
    assert router.kwargs[0]['flavour'] == 'vanilla'
    assert router.kwargs[0].get('_asgi', False) is asgi
    assert router.find_calls[0][0] == '/hello'
    assert router.find_calls[0][1] is not None  # the request is passed along
    with pytest.raises(TypeError, match='reverse routing'):
        app.url_for('/hello')


def test_compiled_router_passed_explicitly(make_app: Callable[..., Any], asgi: bool) -> None:
    router = CompiledRouter()
    app = make_app(router=router)
    assert app.router_options is router.options
    app.add_route('/x/{n:int}', resource(asgi, on_get=media()))
    assert router.find('/x/1') is not None
    assert Client(app).get('/x/1').json == {'n': '1'}
