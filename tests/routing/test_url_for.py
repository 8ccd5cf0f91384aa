"""Reverse routing: router.url_for / app.url_for build paths that route back to their template."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote
import uuid

import pytest
from routing_helpers import Resource
from support.harness import Client, resource

from lanner.routing import (
    BaseConverter,
    CompiledRouter,
    UnacceptableRouteError,
    UnknownRouteError,
    URLBuildError,
)


def routes(*templates: str, **named: str) -> CompiledRouter:
    router = CompiledRouter()
    for template in templates:
        router.add_route(template, Resource(template))
    for name, template in named.items():
        router.add_route(template, Resource(name), name=name)
    return router


def assert_round_trip(
    router: CompiledRouter, path: str, template: str, params: dict[str, Any]
) -> None:
    found = router.find(unquote(path))
    assert found is not None, path
    assert found[3] == template
    assert found[2] == params


class TestBuilding:
    def test_by_name(self) -> None:
        router = routes(user='/users/{user_id:int}')
        assert router.url_for('user', user_id=42) == '/users/42'

    def test_by_template(self) -> None:
        router = routes('/users/{user_id}/posts/{slug}')
        path = router.url_for('/users/{user_id}/posts/{slug}', user_id='ann', slug='hello')
        assert path == '/users/ann/posts/hello'

    def test_by_resource(self) -> None:
        router = CompiledRouter()
        thing = Resource()
        router.add_route('/things/{thing_id}', thing)
        assert router.url_for(thing, thing_id='t1') == '/things/t1'

    def test_literal_only_routes(self) -> None:
        router = routes('/', '/health', '/a/b/')
        assert router.url_for('/') == '/'
        assert router.url_for('/health') == '/health'
        assert router.url_for('/a/b/') == '/a/b/'

    def test_resource_under_several_templates_is_resolved_by_field_names(self) -> None:
        router = CompiledRouter()

        class Items:
            def on_get(self, req: Any, resp: Any, **kw: Any) -> None:
                pass

            def on_get_collection(self, req: Any, resp: Any) -> None:
                pass

        items = Items()
        router.add_route('/items', items, suffix='collection')
        router.add_route('/items/{item_id}', items)
        assert router.url_for(items) == '/items'
        assert router.url_for(items, item_id='7') == '/items/7'

    def test_ambiguous_resource_asks_for_names(self) -> None:
        router = CompiledRouter()
        shared = Resource()
        router.add_route('/a/{x}', shared)
        router.add_route('/b/{x}', shared)
        with pytest.raises(UnknownRouteError, match='several templates'):
            router.url_for(shared, x='1')

    def test_percent_encoding(self) -> None:
        router = routes(page='/wiki/{title}')
        assert router.url_for('page', title='hello world') == '/wiki/hello%20world'
        assert router.url_for('page', title='café') == '/wiki/caf%C3%A9'
        assert router.url_for('page', title='a?b#c%d') == '/wiki/a%3Fb%23c%25d'
        assert router.url_for('page', title='x+y;z') == '/wiki/x%2By%3Bz'
        assert router.url_for('page', title="a:b@c!$&'()*,=") == "/wiki/a:b@c!$&'()*,="
        assert router.url_for('page', title='-._~') == '/wiki/-._~'

    def test_literal_parts_are_encoded_too(self) -> None:
        router = routes('/café/{x}/100%/{a}.{b}')
        path = router.url_for('/café/{x}/100%/{a}.{b}', x='1', a='p', b='q')
        assert path == '/caf%C3%A9/1/100%25/p.q'
        assert_round_trip(router, path, '/café/{x}/100%/{a}.{b}', {'x': '1', 'a': 'p', 'b': 'q'})

    def test_converters_in_reverse(self) -> None:
        router = CompiledRouter()
        router.add_route(
            '/r/{n:int(4)}/{f:float}/{u:uuid}/{d:dt("%Y-%m-%d")}/{rest:path}', Resource(), name='r'
        )
        u = uuid.UUID('6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5b')
        path = router.url_for(
            'r', n=7, f=2.5, u=u, d=datetime(2024, 2, 29), rest='docs/read me.txt'
        )
        assert path == f'/r/0007/2.5/{u}/2024-02-29/docs/read%20me.txt'
        found = router.find(unquote(path))
        assert found is not None
        assert found[2] == {
            'n': 7,
            'f': 2.5,
            'u': u,
            'd': datetime(2024, 2, 29),
            'rest': 'docs/read me.txt',
        }

    def test_negative_fixed_width_int(self) -> None:
        router = routes(n='/n/{v:int(4)}')
        assert router.url_for('n', v=-7) == '/n/-007'
        with pytest.raises(URLBuildError, match='not accepted by its converter'):
            router.url_for('n', v=12345)

    def test_uuid_accepts_strings(self) -> None:
        router = routes(u='/u/{id:uuid}')
        assert router.url_for('u', id='6F1C2A3E0B4D4E5F8A9B0C1D2E3F4A5B') == (
            '/u/6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5b'
        )

    def test_plain_fields_accept_numbers(self) -> None:
        router = routes(p='/p/{x}')
        assert router.url_for('p', x=5) == '/p/5'

    def test_complex_segment(self) -> None:
        router = routes(f='/files/{name}.{ext}')
        assert router.url_for('f', name='report.final', ext='pdf') == '/files/report.final.pdf'

    def test_custom_converter_with_to_str(self) -> None:
        class Hex(BaseConverter):
            def convert(self, value: str) -> int | None:
                try:
                    return int(value, 16)
                except ValueError:
                    return None

            def to_str(self, value: int) -> str:
                return format(value, 'x')

        router = CompiledRouter()
        router.options.converters['hex'] = Hex
        router.add_route('/c/{colour:hex}', Resource(), name='c')
        assert router.url_for('c', colour=255) == '/c/ff'

    def test_duck_typed_converter_without_to_str_uses_str(self) -> None:
        class Upper:
            def convert(self, value: str) -> str | None:
                return value if value.isupper() else None

        router = CompiledRouter()
        router.options.converters['upper'] = Upper
        router.add_route('/c/{code:upper}', Resource(), name='c')
        assert router.url_for('c', code='ABC') == '/c/ABC'
        with pytest.raises(URLBuildError, match='not accepted'):
            router.url_for('c', code='abc')


class TestRefusals:
    def test_unknown_name(self) -> None:
        router = routes(user='/users/{id}')
        with pytest.raises(UnknownRouteError, match=r"'nobody'.*Known names: 'user'"):
            router.url_for('nobody')

    def test_unknown_resource(self) -> None:
        with pytest.raises(UnknownRouteError, match='was not added'):
            routes('/a').url_for(Resource())

    def test_missing_and_unexpected_fields(self) -> None:
        router = routes(user='/users/{id}/{tab}')
        with pytest.raises(URLBuildError, match="missing 'tab'; unexpected 'idd'"):
            router.url_for('user', id='1', idd='2')

    @pytest.mark.parametrize('value', ['a/b', '/', '..', '.'])
    def test_values_that_would_change_the_path_structure(self, value: str) -> None:
        router = routes(p='/p/{x}/end')
        with pytest.raises(URLBuildError):
            router.url_for('p', x=value)

    def test_dot_segments_in_path_converter(self) -> None:
        router = routes(p='/p/{rest:path}')
        assert router.url_for('p', rest='a/b/') == '/p/a/b/'
        with pytest.raises(URLBuildError, match=r"'\.\.'"):
            router.url_for('p', rest='a/../../etc')

    def test_leading_empty_segments_are_refused(self) -> None:
        # Routing ignores leading slashes, so '//x' would come back as 'x'.
        router = routes(rest='/{rest:path}', pair='/pair/{x}/{y}')
        assert router.url_for('rest', rest='a//b') == '/a//b'
        with pytest.raises(URLBuildError, match='leading empty'):
            router.url_for('rest', rest='/etc')
        assert router.url_for('rest', rest='') == '/'
        assert router.url_for('pair', x='', y='b') == '/pair//b'

    def test_values_the_converter_would_reject(self) -> None:
        router = routes(i='/i/{v:int(min=1)}')
        with pytest.raises(URLBuildError, match='not accepted'):
            router.url_for('i', v=0)
        with pytest.raises(URLBuildError, match='cannot format'):
            router.url_for('i', v='1')
        with pytest.raises(URLBuildError, match='cannot format'):
            router.url_for('i', v=True)

    def test_complex_segment_values_that_split_differently(self) -> None:
        router = routes(f='/files/{name}.{ext}')
        with pytest.raises(URLBuildError, match='splits differently'):
            router.url_for('f', name='report', ext='tar.gz')
        with pytest.raises(URLBuildError, match='splits differently'):
            router.url_for('f', name='', ext='txt')

    def test_path_that_a_literal_route_would_capture(self) -> None:
        router = routes('/users/me', user='/users/{name}')
        assert router.url_for('user', name='ann') == '/users/ann'
        with pytest.raises(URLBuildError, match="routed to '/users/me'"):
            router.url_for('user', name='me')

    def test_none_is_not_a_value(self) -> None:
        router = routes(p='/p/{x}')
        with pytest.raises(URLBuildError, match='must be a string'):
            router.url_for('p', x=None)

    def test_url_build_error_is_a_value_error(self) -> None:
        assert issubclass(URLBuildError, ValueError)
        assert issubclass(UnknownRouteError, LookupError)


class TestNames:
    def test_names_must_be_unique(self) -> None:
        router = routes(user='/users/{id}')
        with pytest.raises(UnacceptableRouteError, match="'user' is already used"):
            router.add_route('/people/{id}', Resource(), name='user')

    def test_re_adding_the_template_can_rename(self) -> None:
        router = routes(old='/users/{id}')
        router.add_route('/users/{id}', Resource(), name='new')
        assert router.url_for('new', id='1') == '/users/1'
        with pytest.raises(UnknownRouteError):
            router.url_for('old', id='1')
        router.add_route('/other', Resource(), name='old')
        assert router.url_for('old') == '/other'

    @pytest.mark.parametrize('name', ['', '/users', 5])
    def test_invalid_names(self, name: Any) -> None:
        with pytest.raises(UnacceptableRouteError, match='Invalid route name'):
            CompiledRouter().add_route('/a', Resource(), name=name)


def test_app_url_for(make_app: Callable[..., Any], asgi: bool) -> None:
    app = make_app()

    def on_get_user(req: Any, resp: Any, user_id: int) -> None:
        resp.media = {'self': app.url_for('user', user_id=user_id)}

    def on_get_file(req: Any, resp: Any, name: str) -> None:
        resp.media = {'self': app.url_for('/files/{name}', name=name)}

    app.add_route('/users/{user_id:int}', resource(asgi, on_get=on_get_user), name='user')
    app.add_route('/files/{name}', resource(asgi, on_get=on_get_file))
    client = Client(app)
    assert client.get('/users/5').json == {'self': '/users/5'}
    link = client.get('/files/a b').json['self']
    assert link == '/files/a%20b'
    # Servers percent-decode the path before the app sees it, as the harness does.
    assert client.get(unquote(link)).json == {'self': '/files/a%20b'}
