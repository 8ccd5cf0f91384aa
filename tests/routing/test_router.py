"""Method maps, default responders, suffixes, responder kinds and the router's own API."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest
from routing_helpers import Resource

from lanner import constants, responders
from lanner.errors import HTTPBadRequest, HTTPMethodNotAllowed, HTTPRouteNotFound
import lanner.routing
from lanner.routing import (
    CompiledRouter,
    DefaultRouter,
    SuffixedMethodNotFoundError,
    map_http_methods,
    set_default_responders,
)


class FakeResp:
    def __init__(self) -> None:
        self.status: Any = None
        self.headers: dict[str, str] = {}

    def set_header(self, name: str, value: str) -> None:
        self.headers[name.lower()] = value


def allow_of(error: HTTPMethodNotAllowed) -> str:
    headers = dict(error.headers or {})
    return {k.lower(): v for k, v in headers.items()}['allow']


def call_sync_or_async(responder: Any, *args: Any, **kwargs: Any) -> Any:
    result = responder(*args, **kwargs)
    if asyncio.iscoroutine(result):
        return asyncio.run(result)
    return result


def method_map_for(resource: object, **kwargs: Any) -> dict[str, Any]:
    router = CompiledRouter()
    router.add_route('/r', resource, **kwargs)
    found = router.find('/r')
    assert found is not None
    return found[1]


class Things:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.status = 'got'

    def on_put(self, req: Any, resp: Any) -> None:
        pass

    def on_report(self, req: Any, resp: Any) -> None:
        pass

    def on_head(self, req: Any, resp: Any) -> None:
        pass


class TestMethodMap:
    def test_every_known_method_is_mapped(self) -> None:
        method_map = method_map_for(Things())
        assert set(method_map) == set(constants.COMBINED_METHODS)
        assert all(callable(r) for r in method_map.values())

    def test_explicit_responders_are_used(self) -> None:
        resource = Things()
        method_map = method_map_for(resource)
        assert method_map['GET'] == resource.on_get
        assert method_map['REPORT'] == resource.on_report

    def test_missing_methods_raise_405_listing_allowed_methods_sorted_then_options(self) -> None:
        method_map = method_map_for(Things())
        for method in ('POST', 'DELETE', 'PATCH', 'PROPFIND', 'QUERY', 'WEBSOCKET'):
            with pytest.raises(HTTPMethodNotAllowed) as info:
                method_map[method](None, FakeResp())
            assert allow_of(info.value) == 'GET, HEAD, PUT, REPORT, OPTIONS'

    def test_default_options_responder(self) -> None:
        resp = FakeResp()
        method_map_for(Things())['OPTIONS'](None, resp)
        assert resp.status == '200 OK'
        assert resp.headers == {'allow': 'GET, HEAD, PUT, REPORT', 'content-length': '0'}

    def test_default_options_omits_allow_when_nothing_is_mapped(self) -> None:
        resp = FakeResp()
        method_map = method_map_for(object())
        method_map['OPTIONS'](None, resp)
        assert resp.status == '200 OK'
        assert resp.headers == {'content-length': '0'}
        with pytest.raises(HTTPMethodNotAllowed) as info:
            method_map['GET'](None, FakeResp())
        assert allow_of(info.value) == 'OPTIONS'

    def test_explicit_on_options_is_sorted_in_with_the_rest(self) -> None:
        class WithOptions(Things):
            def on_options(self, req: Any, resp: Any) -> None:
                pass

        resource = WithOptions()
        method_map = method_map_for(resource)
        assert method_map['OPTIONS'] == resource.on_options
        with pytest.raises(HTTPMethodNotAllowed) as info:
            method_map['POST'](None, FakeResp())
        assert allow_of(info.value) == 'GET, HEAD, OPTIONS, PUT, REPORT'

    def test_websocket_maps_to_on_websocket_and_never_appears_in_allow(self) -> None:
        class Socket:
            def on_get(self, req: Any, resp: Any) -> None:
                pass

            def on_websocket(self, req: Any, ws: Any) -> None:
                pass

        resource = Socket()
        method_map = method_map_for(resource)
        assert method_map['WEBSOCKET'] == resource.on_websocket
        with pytest.raises(HTTPMethodNotAllowed) as info:
            method_map['POST'](None, FakeResp())
        assert allow_of(info.value) == 'GET, OPTIONS'
        resp = FakeResp()
        method_map['OPTIONS'](None, resp)
        assert resp.headers['allow'] == 'GET'

    def test_head_is_not_derived_from_get(self) -> None:
        class OnlyGet:
            def on_get(self, req: Any, resp: Any) -> None:
                pass

        with pytest.raises(HTTPMethodNotAllowed):
            method_map_for(OnlyGet())['HEAD'](None, FakeResp())

    def test_non_callable_attributes_are_not_responders(self) -> None:
        class Odd:
            on_get = 'not callable'
            on_post = None

            def on_put(self, req: Any, resp: Any) -> None:
                pass

        resource = Odd()
        assert map_http_methods(resource) == {'PUT': resource.on_put}

    def test_callable_objects_and_partials_count(self) -> None:
        class Callable_:
            def __call__(self, req: Any, resp: Any) -> None:
                pass

        class R:
            on_get = Callable_()
            on_post = functools.partial(lambda tag, req, resp: None, 'x')

        method_map = map_http_methods(R())
        assert set(method_map) == {'GET', 'POST'}

    def test_methods_with_non_identifier_names(self) -> None:
        resource = Things()
        responder = lambda req, resp: None  # noqa: E731
        setattr(resource, 'on_version-control', responder)
        assert method_map_for(resource)['VERSION-CONTROL'] is responder

    def test_custom_methods_appended_before_add_route(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(constants, 'COMBINED_METHODS', [*constants.COMBINED_METHODS, 'PURGE'])
        resource = Things()
        resource.on_purge = lambda req, resp: None  # type: ignore[attr-defined]
        method_map = method_map_for(resource)
        assert method_map['PURGE'] is resource.on_purge  # type: ignore[attr-defined]
        with pytest.raises(HTTPMethodNotAllowed) as info:
            method_map['POST'](None, FakeResp())
        assert allow_of(info.value) == 'GET, HEAD, PURGE, PUT, REPORT, OPTIONS'

    def test_custom_methods_appended_in_place(self) -> None:
        constants.COMBINED_METHODS.append('LINK')
        try:
            method_map = method_map_for(Things())
            assert 'LINK' in method_map
            with pytest.raises(HTTPMethodNotAllowed):
                method_map['LINK'](None, FakeResp())
        finally:
            constants.COMBINED_METHODS.remove('LINK')


class TestSuffix:
    class Items:
        def on_get(self, req: Any, resp: Any) -> None:
            pass

        def on_get_collection(self, req: Any, resp: Any) -> None:
            pass

        def on_post_collection(self, req: Any, resp: Any) -> None:
            pass

    def test_suffixed_responders_are_mapped(self) -> None:
        router = CompiledRouter()
        resource = self.Items()
        router.add_route('/items', resource, suffix='collection')
        router.add_route('/items/{id}', resource)
        found = router.find('/items')
        assert found is not None
        assert found[1]['GET'] == resource.on_get_collection
        assert found[1]['POST'] == resource.on_post_collection
        item = router.find('/items/1')
        assert item is not None
        assert item[1]['GET'] == resource.on_get
        with pytest.raises(HTTPMethodNotAllowed) as info:
            item[1]['POST'](None, FakeResp())
        assert allow_of(info.value) == 'GET, OPTIONS'

    def test_unknown_suffix_raises(self) -> None:
        router = CompiledRouter()
        with pytest.raises(SuffixedMethodNotFoundError, match="'nope'"):
            router.add_route('/items', self.Items(), suffix='nope')
        assert router.find('/items') is None

    def test_suffixed_method_not_found_error_is_importable_from_util(self) -> None:
        from lanner.router_support import SuffixedMethodNotFoundError as core_error
        from lanner.routing.util import SuffixedMethodNotFoundError as util_error

        assert core_error is util_error is SuffixedMethodNotFoundError


class TestDefaultToOnRequest:
    class Catchall:
        def on_get(self, req: Any, resp: Any) -> None:
            pass

        def on_request(self, req: Any, resp: Any) -> None:
            pass

        def on_request_items(self, req: Any, resp: Any) -> None:
            pass

    def test_off_by_default(self) -> None:
        method_map = method_map_for(self.Catchall())
        with pytest.raises(HTTPMethodNotAllowed):
            method_map['POST'](None, FakeResp())

    def test_on_request_answers_missing_methods(self) -> None:
        router = CompiledRouter()
        router.options.default_to_on_request = True
        resource = self.Catchall()
        router.add_route('/r', resource)
        found = router.find('/r')
        assert found is not None
        method_map = found[1]
        assert method_map['GET'] == resource.on_get
        for method in ('POST', 'DELETE', 'PROPFIND', 'QUERY'):
            assert method_map[method] == resource.on_request
        # OPTIONS keeps the default responder; WEBSOCKET stays 405.
        resp = FakeResp()
        method_map['OPTIONS'](None, resp)
        assert resp.headers == {'allow': 'GET', 'content-length': '0'}
        with pytest.raises(HTTPMethodNotAllowed):
            method_map['WEBSOCKET'](None, FakeResp())

    def test_only_on_request_gives_options_without_allow(self) -> None:
        class OnlyRequest:
            def on_request(self, req: Any, resp: Any) -> None:
                pass

        router = CompiledRouter()
        router.options.default_to_on_request = True
        resource = OnlyRequest()
        router.add_route('/r', resource)
        found = router.find('/r')
        assert found is not None
        assert found[1]['GET'] == resource.on_request
        resp = FakeResp()
        found[1]['OPTIONS'](None, resp)
        assert resp.headers == {'content-length': '0'}

    def test_suffix_with_only_on_request_suffix(self) -> None:
        class OnlyRequestSuffix:
            def on_request_items(self, req: Any, resp: Any) -> None:
                pass

        router = CompiledRouter()
        with pytest.raises(SuffixedMethodNotFoundError):
            router.add_route('/r', OnlyRequestSuffix(), suffix='items')
        router.options.default_to_on_request = True
        resource = OnlyRequestSuffix()
        router.add_route('/r', resource, suffix='items')
        found = router.find('/r')
        assert found is not None
        assert found[1]['PATCH'] == resource.on_request_items


class TestResponderKinds:
    def test_asgi_requires_coroutine_functions(self) -> None:
        router = CompiledRouter()
        with pytest.raises(TypeError, match=r'GET responder .*on_get.* is synchronous') as info:
            router.add_route('/r', Things(), _asgi=True)
        # Falcon's wording is kept inside the message, for code that matches on it.
        falcon_words = 'must be a non-blocking async coroutine (i.e., defined using async def)'
        assert falcon_words in str(info.value)
        assert router.find('/r') is None

    def test_wsgi_rejects_coroutine_functions(self) -> None:
        class Async:
            async def on_get(self, req: Any, resp: Any) -> None:
                pass

        with pytest.raises(
            TypeError, match=r"GET responder .* for the route '/r' is a coroutine"
        ) as info:
            CompiledRouter().add_route('/r', Async())
        assert 'must be a regular synchronous method to be used with a WSGI app' in str(info.value)

    def test_wsgi_rejects_async_callable_objects_and_partials(self) -> None:
        class AsyncCallable:
            async def __call__(self, req: Any, resp: Any) -> None:
                pass

        async def responder(tag: str, req: Any, resp: Any) -> None:
            pass

        class R1:
            on_get = AsyncCallable()

        class R2:
            on_get = functools.partial(responder, 'x')

        for resource in (R1(), R2()):
            with pytest.raises(TypeError, match='coroutine'):
                CompiledRouter().add_route('/r', resource)

    def test_asgi_accepts_async_responders_and_installs_async_defaults(self) -> None:
        class Async:
            async def on_get(self, req: Any, resp: Any) -> None:
                pass

        router = CompiledRouter()
        router.add_route('/r', Async(), _asgi=True)
        found = router.find('/r')
        assert found is not None
        method_map = found[1]
        assert all(asyncio.iscoroutinefunction(r) for r in method_map.values())
        resp = FakeResp()
        asyncio.run(method_map['OPTIONS'](None, resp))
        assert resp.headers == {'allow': 'GET', 'content-length': '0'}
        with pytest.raises(HTTPMethodNotAllowed):
            asyncio.run(method_map['POST'](None, FakeResp()))

    def test_asgi_rejects_sync_callable_objects(self) -> None:
        class SyncCallable:
            def __call__(self, req: Any, resp: Any) -> None:
                pass

        class R:
            on_get = SyncCallable()

        with pytest.raises(TypeError, match='synchronous'):
            CompiledRouter().add_route('/r', R(), _asgi=True)

    def test_asgi_on_request_default_must_be_async_too(self) -> None:
        class Mixed:
            async def on_get(self, req: Any, resp: Any) -> None:
                pass

            def on_request(self, req: Any, resp: Any) -> None:
                pass

        router = CompiledRouter()
        router.options.default_to_on_request = True
        with pytest.raises(TypeError, match='synchronous'):
            router.add_route('/r', Mixed(), _asgi=True)


class TestDefaultResponders:
    def test_path_not_found(self) -> None:
        with pytest.raises(HTTPRouteNotFound):
            responders.path_not_found(None, None)
        with pytest.raises(HTTPRouteNotFound):
            asyncio.run(responders.path_not_found_async(None, None))

    def test_bad_request(self) -> None:
        for responder in (responders.bad_request, responders.bad_request_async):
            with pytest.raises(HTTPBadRequest) as info:
                call_sync_or_async(responder, None, None)
            assert info.value.title == 'Bad request'
            assert info.value.description == 'Invalid HTTP method'

    @pytest.mark.parametrize('asgi', [False, True])
    def test_create_method_not_allowed(self, asgi: bool) -> None:
        allowed = ['GET', 'PUT']
        responder = responders.create_method_not_allowed(allowed, asgi=asgi)
        allowed.append('POST')  # the responder keeps its own copy
        assert asyncio.iscoroutinefunction(responder) is asgi
        with pytest.raises(HTTPMethodNotAllowed) as info:
            call_sync_or_async(responder, None, FakeResp(), extra='param')
        assert allow_of(info.value) == 'GET, PUT'

    @pytest.mark.parametrize('asgi', [False, True])
    def test_create_default_options(self, asgi: bool) -> None:
        responder = responders.create_default_options(['GET', 'POST'], asgi=asgi)
        assert asyncio.iscoroutinefunction(responder) is asgi
        resp = FakeResp()
        call_sync_or_async(responder, None, resp)
        assert resp.status == '200 OK'
        assert resp.headers == {'allow': 'GET, POST', 'content-length': '0'}


def test_set_default_responders_directly() -> None:
    resource = Things()
    method_map = map_http_methods(resource)
    assert set(method_map) == {'GET', 'PUT', 'REPORT', 'HEAD'}
    set_default_responders(method_map)
    assert set(method_map) == set(constants.COMBINED_METHODS)
    fallback = lambda req, resp: None  # noqa: E731
    method_map = map_http_methods(resource)
    set_default_responders(method_map, default_responder=fallback)
    assert method_map['POST'] is fallback
    assert method_map['OPTIONS'] is not fallback
    assert method_map['WEBSOCKET'] is not fallback


class TestRouterApi:
    def test_default_router_alias(self) -> None:
        assert DefaultRouter is CompiledRouter

    def test_compile_eagerly_and_finder_src(self) -> None:
        router = CompiledRouter()
        router.add_route('/users/{user_id:int}', Resource(), compile=True)
        source = router.finder_src
        assert 'def find(uri, req=None):' in source
        assert "'user_id': p_user_id" in source
        compile(source, '<finder>', 'exec')  # it is valid Python

    def test_finder_src_forces_compilation_and_tracks_new_routes(self) -> None:
        router = CompiledRouter()
        router.add_route('/first', Resource())
        assert "'first'" in router.finder_src
        router.add_route('/second/{x}', Resource())
        assert "'second'" in router.finder_src

    def test_empty_router_finds_nothing(self) -> None:
        router = CompiledRouter()
        assert router.find('/') is None
        assert router.find('') is None
        assert 'def find' in router.finder_src

    def test_bound_find_stays_valid_across_compilations(self) -> None:
        # Apps bind router.find once, before any route exists.
        router = CompiledRouter()
        find = router.find
        assert find('/a') is None
        router.add_route('/a', Resource('a'))
        assert find('/a') is not None
        router.add_route('/b/{x}', Resource('b'))
        found = find('/b/1', req=None)
        assert found is not None and found[2] == {'x': '1'}
        assert router.find is find

    def test_recompiling_does_not_accumulate_generated_code(self) -> None:
        router = CompiledRouter()
        sizes = []
        for i in range(30):
            router.add_route(f'/r{i}/{{x:int}}', Resource())
            assert router.find(f'/r{i}/1') is not None
            sizes.append(len(router._namespace))
        # Two compilations are kept alive at most, so the namespace tracks the route count.
        assert sizes[-1] < 2 * 6 * 30 + 10
        assert all(router.find(f'/r{i}/2') is not None for i in range(30))

    def test_unknown_keyword_arguments_are_ignored(self) -> None:
        router = CompiledRouter()
        router.add_route('/r', Resource('r'), custom_flag=True, another=1)
        assert router.find('/r') is not None

    def test_subclass_hooks(self) -> None:
        seen: list[dict[str, Any]] = []

        class Recording(CompiledRouter):
            def map_http_methods(self, resource: object, **kwargs: Any) -> dict[str, Any]:
                seen.append(kwargs)
                return super().map_http_methods(resource, **kwargs)

            def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
                kwargs.pop('version', None)
                super().add_route(uri_template, resource, **kwargs)

            def find(self, uri: str, req: Any = None) -> Any:
                return super().find(uri.lower(), req)

        router = Recording()
        router.add_route('/r', Things(), suffix=None, version=2)
        assert seen == [{'suffix': None}]
        assert router.find('/R') is not None

    def test_find_never_raises_on_odd_paths(self) -> None:
        router = CompiledRouter()
        router.add_route('/a/{x:int}/{y:uuid}/{d:dt}/{f:float}/{rest:path}', Resource())
        router.add_route('/b/{a}.{b}', Resource())
        for path in ['', '/', '\x00', '/a/\x00/\ud800', '/b/' + '.' * 5000, '/a/1/2/3/4/5', '//']:
            router.find(path)


def test_public_names() -> None:
    assert set(lanner.routing.__all__) == {
        'BaseConverter',
        'CompiledRouter',
        'CompiledRouterNode',
        'CompiledRouterOptions',
        'ConverterDict',
        'DateTimeConverter',
        'DefaultRouter',
        'FloatConverter',
        'IntConverter',
        'PathConverter',
        'RegexConverter',
        'StaticRoute',
        'StaticRouteAsync',
        'SuffixedMethodNotFoundError',
        'UUIDConverter',
        'URLBuildError',
        'UnacceptableRouteError',
        'UnknownRouteError',
        '__version__',
        'map_http_methods',
        'set_default_responders',
    }
    for name in lanner.routing.__all__:
        assert getattr(lanner.routing, name) is not None
    from lanner import static

    assert lanner.routing.StaticRoute is static.StaticRoute
    assert lanner.routing.StaticRouteAsync is static.StaticRouteAsync
