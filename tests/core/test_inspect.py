"""lanner.inspect: information objects, the text format and the JSON-ready dicts."""

from __future__ import annotations

from collections.abc import Iterator
import importlib.util
from typing import Any

import pytest
from support.simple_router import SimpleRouter

import lanner
from lanner import inspect
import lanner.asgi

HAVE_ROUTING = importlib.util.find_spec('lanner.routing') is not None


class TreeNode:
    """A duck-typed CompiledRouter node (what inspect_compiled_router walks)."""

    def __init__(self, template: str | None, resource: object = None, *children: TreeNode) -> None:
        self.uri_template = template
        self.resource = resource
        self.children = list(children)
        self.method_map: dict[str, Any] | None = None
        if resource is not None:
            from lanner.router_support import map_http_methods, set_default_responders

            self.method_map = map_http_methods(
                resource, suffix='id' if template and '{' in template else None
            )
            set_default_responders(self.method_map)


class TreeRouter(SimpleRouter):
    """SimpleRouter that also keeps a Falcon-style tree for inspection."""

    def __init__(self) -> None:
        super().__init__()
        self.roots: list[TreeNode] = []


class MyResponder:
    def on_get(self, req: Any, resp: Any) -> None:
        pass

    def on_post(self, req: Any, resp: Any) -> None:
        pass

    def on_delete(self, req: Any, resp: Any) -> None:
        pass

    def on_get_id(self, req: Any, resp: Any, id: str) -> None:
        pass

    def on_delete_id(self, req: Any, resp: Any, id: str) -> None:
        pass


class MyMiddleware:
    def process_request(self, req: Any, resp: Any) -> None:
        pass

    def process_resource(self, req: Any, resp: Any, resource: Any, params: Any) -> None:
        pass

    def process_response(self, req: Any, resp: Any, resource: Any, ok: bool) -> None:
        pass


class OtherMiddleware(MyMiddleware):
    pass


class SinkClass:
    def __call__(self, req: Any, resp: Any, **kwargs: Any) -> None:
        pass


def sinkFn(req: Any, resp: Any, **kwargs: Any) -> None:
    pass


def my_runtime_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
    pass


@pytest.fixture
def tree_router_registered() -> Iterator[None]:
    inspect.register_router(TreeRouter)(inspect.inspect_compiled_router)
    yield
    del inspect._supported_routers[TreeRouter]


def build_app(tmp_path: Any, independent: bool = True) -> lanner.App:
    router = TreeRouter()
    res = MyResponder()
    router.roots = [
        TreeNode(None, None, TreeNode('/foo', res, TreeNode('/foo/{id}', res))),
        TreeNode('/bar', res),
    ]
    app = lanner.App(
        router=router,
        middleware=[MyMiddleware(), OtherMiddleware()],
        independent_middleware=independent,
        cors_enable=True,
    )
    (tmp_path / 'index.html').write_text('<html/>')
    app.add_static_route('/falcon', str(tmp_path))
    app.add_static_route('/tests', str(tmp_path), fallback_filename='index.html')
    app.add_sink(sinkFn, '/sink_fn')
    app.add_sink(SinkClass(), '/sink_cls')
    app.add_error_handler(RuntimeError, my_runtime_handler)
    return app


def test_text_format(tmp_path: Any, tree_router_registered: None) -> None:
    app = build_app(tmp_path)
    expected = f"""\
Falcon App (WSGI)
• Routes:
    ⇒ /foo - MyResponder:
       ├── DELETE - on_delete
       ├── GET - on_get
       └── POST - on_post
    ⇒ /foo/{{id}} - MyResponder:
       ├── DELETE - on_delete_id
       └── GET - on_get_id
    ⇒ /bar - MyResponder:
       ├── DELETE - on_delete
       ├── GET - on_get
       └── POST - on_post
• Middleware (Middleware are independent):
    → MyMiddleware.process_request
      → OtherMiddleware.process_request

        ↣ MyMiddleware.process_resource
          ↣ OtherMiddleware.process_resource

              ├── Process route responder

          ↢ CORSMiddleware.process_response
        ↢ OtherMiddleware.process_response
      ↢ MyMiddleware.process_response
• Static routes:
    ↦ /tests/ {tmp_path} [{tmp_path / 'index.html'}]
    ↦ /falcon/ {tmp_path}
• Sinks:
    ⇥ /sink_cls SinkClass
    ⇥ /sink_fn sinkFn
• Error handlers:
    ⇜ RuntimeError my_runtime_handler"""
    info = inspect.inspect_app(app)
    assert info.to_string() == expected
    assert repr(info) == expected
    assert str(info) == expected


def test_dependent_middleware_text(tmp_path: Any, tree_router_registered: None) -> None:
    info = inspect.inspect_middleware(build_app(tmp_path, independent=False))
    assert info.independent_text == 'Middleware are dependent'
    assert [i.class_name for i in info.middleware_tree.response] == [
        'CORSMiddleware',
        'OtherMiddleware',
        'MyMiddleware',
    ]


def test_verbose_and_internal(tmp_path: Any, tree_router_registered: None) -> None:
    info = inspect.inspect_app(build_app(tmp_path))
    verbose = info.to_string(verbose=True)
    assert f'MyResponder ({__file__}:' in verbose
    assert '- Middleware classes:' in verbose
    assert 'on_options' not in verbose and '_python_error_handler' not in verbose
    internal = info.to_string(internal=True)
    assert 'OPTIONS - on_options' in internal
    assert '⇜ Exception _python_error_handler' in internal
    assert 'method_not_allowed' in internal


def test_asgi_title_and_custom_name() -> None:
    app = lanner.asgi.App(router=TreeRouter())
    inspect.register_router(TreeRouter)(inspect.inspect_compiled_router)
    try:
        info = inspect.inspect_app(app)
    finally:
        del inspect._supported_routers[TreeRouter]
    assert info.to_string() == 'Falcon App (ASGI)'
    assert info.to_string(name='Orders API') == 'Orders API (ASGI)'
    assert info.asgi is True


def test_info_objects(tmp_path: Any, tree_router_registered: None) -> None:
    app = build_app(tmp_path)
    routes = inspect.inspect_routes(app)
    assert [r.path for r in routes] == ['/foo', '/foo/{id}', '/bar']
    get_id = next(m for m in routes[1].methods if m.method == 'GET')
    assert (get_id.function_name, get_id.suffix, get_id.internal) == ('on_get_id', 'id', False)
    assert routes[0].methods[0].suffix == ''
    assert routes[1].to_string() == (
        '⇒ /foo/{id} - MyResponder:\n   ├── DELETE - on_delete_id\n   └── GET - on_get_id'
    )

    statics = inspect.inspect_static_routes(app)
    assert [(s.prefix, s.fallback_filename is not None) for s in statics] == [
        ('/tests/', True),
        ('/falcon/', False),
    ]
    sinks = inspect.inspect_sinks(app)
    assert [(s.prefix, s.name) for s in sinks] == [
        ('/sink_cls', 'SinkClass'),
        ('/sink_fn', 'sinkFn'),
    ]
    handlers = {h.error: h for h in inspect.inspect_error_handlers(app)}
    assert handlers['RuntimeError'].internal is False
    assert handlers['Exception'].internal is True

    middleware = inspect.inspect_middleware(app)
    assert [c.name for c in middleware.middleware_classes] == [
        'MyMiddleware',
        'OtherMiddleware',
        'CORSMiddleware',
    ]
    assert inspect.inspect_middlewares is inspect.inspect_middleware


def test_asgi_middleware_uses_async_twins() -> None:
    app = lanner.asgi.App(router=SimpleRouter(), cors_enable=True)
    info = inspect.inspect_middleware(app)
    assert [(i.class_name, i.name) for i in info.middleware_tree.response] == [
        ('CORSMiddleware', 'process_response_async')
    ]
    assert info.middleware_tree.response[0].symbol == '↢'


def test_dict_visitor(tmp_path: Any, tree_router_registered: None) -> None:
    data = inspect.DictVisitor().process(inspect.inspect_app(build_app(tmp_path)))
    assert data['asgi'] is False
    assert data['routes'][0]['path'] == '/foo'
    assert [m['method'] for m in data['routes'][0]['methods']] == ['DELETE', 'GET', 'POST']
    assert data['middleware']['independent'] is True
    assert data['sinks'][1] == {
        'prefix': '/sink_fn',
        'name': 'sinkFn',
        'source_info': data['sinks'][1]['source_info'],
    }
    assert [e['error'] for e in data['error_handlers']] == ['RuntimeError']
    internal = inspect.DictVisitor(internal=True).process(inspect.inspect_app(build_app(tmp_path)))
    # Falcon's three defaults (Exception, HTTPError, HTTPStatus; the Exception one also answers
    # UnsafeValueError) and the app's own.
    assert len(internal['error_handlers']) == 4
    assert {e['error'] for e in internal['error_handlers'] if e['internal']} == {
        'Exception',
        'HTTPError',
        'HTTPStatus',
    }


def test_unregistered_router_is_a_type_error() -> None:
    with pytest.raises(TypeError, match='register_router'):
        inspect.inspect_routes(lanner.App(router=SimpleRouter()))


def test_register_router_twice_is_a_value_error(tree_router_registered: None) -> None:
    with pytest.raises(ValueError, match='already registered'):
        inspect.register_router(TreeRouter)(inspect.inspect_compiled_router)


def test_visitor_without_a_visit_method() -> None:
    class Partial(inspect.InspectVisitor):
        pass

    with pytest.raises(RuntimeError, match='does not support'):
        Partial().process(inspect.SinkInfo('/x', 'x', '[unknown file]'))


@pytest.mark.skipif(not HAVE_ROUTING, reason='needs lanner-routing')
def test_default_compiled_router() -> None:
    app = lanner.App()
    app.add_route('/items/{item_id}', MyResponder())
    routes = inspect.inspect_routes(app)
    assert [r.path for r in routes] == ['/items/{item_id}']
    assert {m.method for m in routes[0].methods if not m.internal} == {'DELETE', 'GET', 'POST'}


def test_visitor_refuses_what_is_no_information_object() -> None:
    with pytest.raises(RuntimeError, match='This visitor does not support int'):
        inspect.InspectVisitor().process(123)  # type: ignore[arg-type]


def test_framework_modules_are_internal() -> None:
    assert inspect._is_internal(inspect) is True
    assert inspect._is_internal(pytest) is False
    assert inspect._is_internal(dict) is False
    assert inspect._is_internal(1) is False


@pytest.mark.skipif(not HAVE_ROUTING, reason='needs lanner-routing')
def test_compiled_router_goes_through_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    from lanner.routing import CompiledRouter

    assert inspect._supported_routers[CompiledRouter] is inspect.inspect_compiled_router
    app = lanner.App()
    app.add_route('/items', MyResponder())
    monkeypatch.setattr(inspect, '_supported_routers', {})
    with pytest.raises(TypeError, match='Unsupported router class'):
        inspect.inspect_routes(app)


@pytest.mark.skipif(not HAVE_ROUTING, reason='needs lanner-routing')
def test_partial_responders_and_emptied_method_maps() -> None:
    import functools

    from lanner.routing import CompiledRouter

    router = CompiledRouter()
    router.add_route('/a', MyResponder())
    router.add_route('/b', MyResponder())
    first, second = router.roots[0].method_map, router.roots[1].method_map
    assert first is not None and second is not None
    first['GET'] = functools.partial(first['GET'])
    second.clear()
    routes = inspect.inspect_compiled_router(router)
    get = next(m for m in routes[0].methods if m.method == 'GET')
    # The partial's target, not functools.py.
    assert get.source_info.startswith(__file__)
    assert get.function_name == 'on_get'
    # A route whose method map was emptied is still listed, with no methods.
    assert [(r.path, r.methods) for r in routes[1:]] == [('/b', [])]


def test_wrapped_sync_sink_keeps_its_class_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('FALCON_ASGI_WRAP_NON_COROUTINES', 'Y')
    app = lanner.asgi.App(router=SimpleRouter())
    app.add_sink(SinkClass(), '/sink_cls')
    assert [s.name for s in inspect.inspect_sinks(app)] == ['SinkClass']
