"""URI template grammar: what add_route accepts, what it rejects, and how the error reads."""

from __future__ import annotations

import sys

import pytest
from routing_helpers import Resource, matched

from lanner.routing import CompiledRouter, UnacceptableRouteError


@pytest.mark.parametrize(
    ('template', 'path', 'params'),
    [
        ('/', '/', {}),
        ('/items', '/items', {}),
        ('/items/', '/items/', {}),
        ('/a.b/(c)/[d]/e+f/$', '/a.b/(c)/[d]/e+f/$', {}),
        ('/café/{x}', '/café/1', {'x': '1'}),
        ('/users/{user_id}', '/users/42', {'user_id': '42'}),
        ('/{a}/{b}', '/1/2', {'a': '1', 'b': '2'}),
        ('/x/{_private}/{x1}', '/x/p/q', {'_private': 'p', 'x1': 'q'}),
        ('/files/{file_id}.{ext}', '/files/report.pdf', {'file_id': 'report', 'ext': 'pdf'}),
        ('/f/{fid}.{ext}', '/f/x.y.z', {'fid': 'x.y', 'ext': 'z'}),
        ('/serviceRoot/People({name})', '/serviceRoot/People(x)', {'name': 'x'}),
        ("/serviceRoot/People('{name}')", "/serviceRoot/People('russell')", {'name': 'russell'}),
        ('/v{major}.{minor}', '/v1.2', {'major': '1', 'minor': '2'}),
        ('/r/{a}.+*{b}', '/r/p.+*q', {'a': 'p', 'b': 'q'}),
        ('/r/{a}{b}', '/r/abc', {'a': 'ab', 'b': 'c'}),
        (
            '/repos/{org}/{repo}/compare/{usr0}:{branch0}...{usr1}:{branch1}',
            '/repos/falconry/falcon/compare/jane:main...joe:fix',
            {
                'org': 'falconry',
                'repo': 'falcon',
                'usr0': 'jane',
                'branch0': 'main',
                'usr1': 'joe',
                'branch1': 'fix',
            },
        ),
        ('/teams/{tid:int(8)}', '/teams/12345678', {'tid': 12345678}),
        ('/c/{x:int(8, min=10000000)}', '/c/10000001', {'x': 10000001}),
        ('/v/{ver:float(min=3.7)}', '/v/3.8', {'ver': 3.8}),
        ('/c/{x:int( 2 ,  max = 50 )}', '/c/42', {'x': 42}),
        ('/c/{x:int()}', '/c/7', {'x': 7}),
        ('/p/{rest:path}', '/p/a/b/c.txt', {'rest': 'a/b/c.txt'}),
        ('/n/{a:int}-{b:int}', '/n/3-4', {'a': 3, 'b': 4}),
    ],
)
def test_accepted_templates_match(template: str, path: str, params: dict[str, object]) -> None:
    router = CompiledRouter()
    router.add_route(template, Resource('r'))
    assert matched(router, path) == ('r', params)
    result = router.find(path)
    assert result is not None
    assert result[3] == template


def test_dt_converter_with_format_argument() -> None:
    router = CompiledRouter()
    router.add_route('/logs/{day:dt("%Y-%m-%d")}', Resource('r'))
    result = matched(router, '/logs/2024-02-29')
    assert result is not None
    day = result[1]['day']
    assert (day.year, day.month, day.day) == (2024, 2, 29)
    assert matched(router, '/logs/2023-02-29') is None


@pytest.mark.parametrize('template', [b'/bytes', None, 42, ['/a']])
def test_template_must_be_a_string(template: object) -> None:
    with pytest.raises(TypeError, match='must be a str'):
        CompiledRouter().add_route(template, Resource())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ('template', 'message'),
    [
        ('//', '"//"'),
        ('/a//b', '"//"'),
        ('/a/b//', '"//"'),
        ('/a b', 'whitespace'),
        ('/a/\tb', 'whitespace'),
        ('/a/b\n', 'whitespace'),
        ('/ {x}', 'whitespace'),
        ('/{}', 'not a valid Python identifier'),
        ('/{1x}', 'not a valid Python identifier'),
        ('/{x-y}', 'not a valid Python identifier'),
        ('/{ x}', 'not a valid Python identifier'),
        ('/{class}', 'not a valid Python identifier'),
        ('/{None}', 'not a valid Python identifier'),
        ('/{x:}', 'empty converter name'),
        ('/{x:(3)}', 'empty converter name'),
        ('/{x:in-t}', 'converter name'),
        ('/{x:nope}', "converter 'nope'"),
        ('/{x:int(8}', 'must end with'),
        ('/{x:int(8)z}', 'must end with'),
        ('/{x:int(abc)}', 'must be Python literals'),
        ('/{x:int(min=len("ab"))}', 'must be Python literals'),
        ('/{x:int(*[1])}', 'must be Python literals'),
        ('/{x:int(**options)}', 'must be Python literals'),
        ('/{x:int(1 2)}', 'not valid Python call arguments'),
        ('/{x:int(0)}', 'num_digits must be at least 1'),
        ('/{x:int(unknown=1)}', 'TypeError'),
        ('/{x:int(min="1")}', 'min must be a number'),
        ('/{x:dt(5)}', 'format_string must be a str'),
        ('/a/{x}/b/{x}', "'x' is used more than once"),
        ('/{x}.{x}', "'x' is used more than once"),
        ('/a}', '"}" without a matching "{"'),
        ('/a/{x}}', '"}" without a matching "{"'),
        ('/a{', '"{" without a closing "}"'),
        ('/{a{b}}', 'nests "{"'),
        ('/a/{p:path}.txt', 'must be a whole segment'),
        ('/a/x{p:path}', 'must be a whole segment'),
        ('/a/{p:path}/b', 'will consume all the path'),
        ('/a/{p:path}/', 'will consume all the path'),
    ],
)
def test_bad_templates_are_rejected_with_a_clear_error(template: str, message: str) -> None:
    router = CompiledRouter()
    with pytest.raises(UnacceptableRouteError) as info:
        router.add_route(template, Resource())
    assert isinstance(info.value, ValueError)
    assert message in str(info.value)
    assert repr(template) in str(info.value) or f'"{template}"' in str(info.value)


@pytest.mark.parametrize('template', ['items/{x}', 'items/all', ''])
def test_the_router_also_takes_templates_without_the_leading_slash(template: str) -> None:
    # As Falcon's router does (App.add_route still insists on the "/").
    router = CompiledRouter()
    router.add_route(template, Resource('r'))
    path = '/' + template.replace('{x}', '7')
    expected = {'x': '7'} if '{x}' in template else {}
    assert matched(router, path) == ('r', expected)
    assert router.find(path)[3] == template  # type: ignore[index]


def test_segment_count_limit() -> None:
    router = CompiledRouter()
    router.add_route('/' + '/'.join(['x'] * 200), Resource('deep'))
    assert router.find('/' + '/'.join(['x'] * 200)) is not None
    with pytest.raises(UnacceptableRouteError, match='more than the 200 supported'):
        router.add_route('/' + '/'.join(['x'] * 201), Resource())


def test_converter_arguments_are_never_evaluated_as_code() -> None:
    router = CompiledRouter()
    template = '/{x:int(__import__("sys").modules.setdefault("lanner_eval_probe", 1))}'
    with pytest.raises(UnacceptableRouteError, match='must be Python literals'):
        router.add_route(template, Resource())
    assert 'lanner_eval_probe' not in sys.modules


@pytest.mark.parametrize(
    ('first', 'second'),
    [
        ('/parents/{id}', '/parents/{parent_id}/children'),
        ('/parents/{id}', '/parents/{id:int}'),
        ('/parents/{id:int}', '/parents/{id:int(3)}'),
        ('/p/{rest:path}', '/p/{name}'),
        ('/a/{x}/{y}', '/a/{x}/{z}/c'),
        ('/f/{a}.{b}', '/f/{c}.{d}'),
        ('/f/{a}.{b}', '/f/{a:int}.{b}'),
    ],
)
def test_conflicting_templates_are_rejected(first: str, second: str) -> None:
    router = CompiledRouter()
    router.add_route(first, Resource('first'))
    with pytest.raises(UnacceptableRouteError, match='conflicts with') as info:
        router.add_route(second, Resource('second'))
    # The message names both templates so the developer can find the other route.
    assert repr(first) in str(info.value)
    assert repr(second) in str(info.value)


@pytest.mark.parametrize(
    ('first', 'second'),
    [
        ('/f/{a}.{b}', '/f/{a}-{b}'),
        ('/f/{a}.{b}', '/f/{name}'),
        ('/f/{name}', '/f/{a}.{b}'),
        ('/f/{id}', '/f/{id}/children'),
        ('/f/{id}/x', '/f/{id}/{child}'),
        ('/f/literal', '/f/{id}'),
        ('/f/v{a}', '/f/{a}v'),
        ('/p/{rest:path}', '/p/static/file'),
    ],
)
def test_distinguishable_templates_coexist(first: str, second: str) -> None:
    router = CompiledRouter()
    router.add_route(first, Resource('first'))
    router.add_route(second, Resource('second'))
    templates = {router.find(p)[3] for p in _sample_paths(first, second)}  # type: ignore[index]
    assert templates == {first, second}


def _sample_paths(*templates: str) -> list[str]:
    samples = {
        '/f/{a}.{b}': '/f/x.y',
        '/f/{a}-{b}': '/f/x-y',
        '/f/{name}': '/f/plain',
        '/f/{id}': '/f/1',
        '/f/{id}/children': '/f/1/children',
        '/f/{id}/x': '/f/1/x',
        '/f/{id}/{child}': '/f/1/other',
        '/f/literal': '/f/literal',
        '/f/v{a}': '/f/vx',
        '/f/{a}v': '/f/xv',
        '/p/{rest:path}': '/p/anything/else',
        '/p/static/file': '/p/static/file',
    }
    return [samples[t] for t in templates]


def test_rejected_template_leaves_the_router_unchanged() -> None:
    router = CompiledRouter()
    router.add_route('/a/{x}/b', Resource('kept'))
    assert matched(router, '/a/1/b') == ('kept', {'x': '1'})
    with pytest.raises(UnacceptableRouteError):
        router.add_route('/a/{y}/c', Resource('rejected'))
    assert matched(router, '/a/1/c') is None
    assert matched(router, '/a/1/b') == ('kept', {'x': '1'})
    assert len(router.roots) == 1
    assert [c.raw_segment for c in router.roots[0].children] == ['{x}']
    assert [c.raw_segment for c in router.roots[0].children[0].children] == ['b']


def test_re_adding_an_identical_template_replaces_the_resource() -> None:
    router = CompiledRouter()
    router.add_route('/items/{id:int}', Resource('old'))
    assert matched(router, '/items/1') == ('old', {'id': 1})
    router.add_route('/items/{id:int}', Resource('new'))
    assert matched(router, '/items/1') == ('new', {'id': 1})


def test_literal_segments_are_case_sensitive() -> None:
    router = CompiledRouter()
    router.add_route('/Items', Resource('r'))
    assert matched(router, '/Items') == ('r', {})
    assert matched(router, '/items') is None
    assert matched(router, '/ITEMS') is None


class TestTrailingSlash:
    def test_without_and_with_trailing_slash_are_different_routes(self) -> None:
        router = CompiledRouter()
        router.add_route('/foo', Resource('bare'))
        assert matched(router, '/foo') == ('bare', {})
        assert matched(router, '/foo/') is None
        router.add_route('/foo/', Resource('slash'))
        assert matched(router, '/foo') == ('bare', {})
        assert matched(router, '/foo/') == ('slash', {})

    def test_template_with_trailing_slash_needs_one_in_the_path(self) -> None:
        router = CompiledRouter()
        router.add_route('/foo/{id}/', Resource('r'))
        assert matched(router, '/foo/1/') == ('r', {'id': '1'})
        assert matched(router, '/foo/1') is None
        assert matched(router, '/foo/1//') is None

    def test_root_only_matches_root(self) -> None:
        router = CompiledRouter()
        router.add_route('/', Resource('root'))
        assert matched(router, '/') == ('root', {})
        assert matched(router, '/x') is None

    def test_field_matches_the_empty_segment_after_a_trailing_slash(self) -> None:
        router = CompiledRouter()
        router.add_route('/api/{resource_id}', Resource('r'))
        assert matched(router, '/api/') == ('r', {'resource_id': ''})
        assert matched(router, '/api') is None


def test_route_node_introspection() -> None:
    router = CompiledRouter()
    resource = Resource('r')
    router.add_route('/a/{x:int(2)}/{y}.{z}', resource)
    (a,) = router.roots
    assert (a.raw_segment, a.is_var, a.is_complex, a.var_name) == ('a', False, False, None)
    (x,) = a.children
    assert (x.is_var, x.is_complex, x.var_name, x.num_fields) == (True, False, 'x', 1)
    assert x.var_converter_map == [('x', 'int', '2')]
    (yz,) = x.children
    assert (yz.is_complex, yz.var_name, yz.num_fields) == (True, None, 2)
    assert yz.resource is resource
    assert yz.uri_template == '/a/{x:int(2)}/{y}.{z}'
    assert yz.method_map is not None and 'GET' in yz.method_map
    assert 'CompiledRouterNode' in repr(yz)
