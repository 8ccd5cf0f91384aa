"""Matching precedence: literal, then complex, then variable; failures fall through."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from routing_helpers import Resource, matched

from lanner.routing import CompiledRouter
from lanner.routing._compiler import INLINE_LITERALS


def build(*templates: str) -> CompiledRouter:
    router = CompiledRouter()
    for template in templates:
        router.add_route(template, Resource(template))
    return router


def test_literal_wins_over_a_field() -> None:
    router = build('/a/{x}', '/a/b')
    assert matched(router, '/a/b') == ('/a/b', {})
    assert matched(router, '/a/c') == ('/a/{x}', {'x': 'c'})


def test_literal_wins_regardless_of_registration_order() -> None:
    router = build('/a/b', '/a/{x}')
    assert matched(router, '/a/b') == ('/a/b', {})
    assert matched(router, '/a/c') == ('/a/{x}', {'x': 'c'})


def test_failure_deeper_down_backtracks_to_the_next_candidate() -> None:
    router = build('/a/b/c', '/a/{x}/d')
    assert matched(router, '/a/b/c') == ('/a/b/c', {})
    assert matched(router, '/a/b/d') == ('/a/{x}/d', {'x': 'b'})
    assert matched(router, '/a/b/e') is None


def test_complex_segment_is_tried_before_the_simple_field() -> None:
    router = build('/f/{id}', '/f/{name}.{ext}')
    assert matched(router, '/f/a.b') == ('/f/{name}.{ext}', {'name': 'a', 'ext': 'b'})
    assert matched(router, '/f/ab') == ('/f/{id}', {'id': 'ab'})
    assert matched(router, '/f/.b') == ('/f/{id}', {'id': '.b'})
    assert matched(router, '/f/a.') == ('/f/{id}', {'id': 'a.'})


def test_complex_segments_are_tried_in_registration_order() -> None:
    router = build('/c/{a}-{b}', '/c/{x}_{y}')
    assert matched(router, '/c/p-q_r') == ('/c/{a}-{b}', {'a': 'p', 'b': 'q_r'})
    assert matched(router, '/c/p_q') == ('/c/{x}_{y}', {'x': 'p', 'y': 'q'})
    other = build('/c/{x}_{y}', '/c/{a}-{b}')
    assert matched(other, '/c/p-q_r') == ('/c/{x}_{y}', {'x': 'p-q', 'y': 'r'})


def test_converter_rejection_falls_through_to_the_next_candidate() -> None:
    router = build('/v/{n:int}.json', '/v/{name}')
    assert matched(router, '/v/5.json') == ('/v/{n:int}.json', {'n': 5})
    assert matched(router, '/v/x.json') == ('/v/{name}', {'name': 'x.json'})


def test_converter_rejection_without_other_candidates_is_no_match() -> None:
    router = build('/u/{id:int}', '/u/me')
    assert matched(router, '/u/me') == ('/u/me', {})
    assert matched(router, '/u/7') == ('/u/{id:int}', {'id': 7})
    assert matched(router, '/u/you') is None
    assert matched(router, '/u/') is None


def test_params_from_abandoned_branches_are_discarded() -> None:
    router = build('/a/{x:int}.v/b', '/a/{y}/c')
    assert matched(router, '/a/1.v/b') == ('/a/{x:int}.v/b', {'x': 1})
    assert matched(router, '/a/1.v/c') == ('/a/{y}/c', {'y': '1.v'})


def test_segment_count_must_match_exactly() -> None:
    router = build('/a/{x}')
    assert matched(router, '/a/1') == ('/a/{x}', {'x': '1'})
    assert matched(router, '/a') is None
    assert matched(router, '/a/1/2') is None
    assert matched(router, '/a/1/') is None


def test_intermediate_node_without_a_route_does_not_match() -> None:
    router = build('/a/b/c')
    assert matched(router, '/a/b') is None
    assert matched(router, '/a') is None


def test_field_matches_an_empty_inner_segment() -> None:
    router = build('/u/{id}/posts')
    assert matched(router, '/u//posts') == ('/u/{id}/posts', {'id': ''})


class TestPathConverter:
    def test_consumes_the_remaining_segments(self) -> None:
        router = build('/p/{rest:path}')
        assert matched(router, '/p/a') == ('/p/{rest:path}', {'rest': 'a'})
        assert matched(router, '/p/a/b/c') == ('/p/{rest:path}', {'rest': 'a/b/c'})
        assert matched(router, '/p/a//b/') == ('/p/{rest:path}', {'rest': 'a//b/'})

    def test_matches_an_empty_remainder_but_needs_a_slash(self) -> None:
        router = build('/p/{rest:path}')
        assert matched(router, '/p/') == ('/p/{rest:path}', {'rest': ''})
        assert matched(router, '/p') is None

    def test_literal_routes_below_take_precedence(self) -> None:
        router = build('/p/{rest:path}', '/p/static/x', '/p')
        assert matched(router, '/p/static/x') == ('/p/static/x', {})
        assert matched(router, '/p/static/y') == ('/p/{rest:path}', {'rest': 'static/y'})
        assert matched(router, '/p/static') == ('/p/{rest:path}', {'rest': 'static'})
        assert matched(router, '/p') == ('/p', {})

    def test_with_fields_before_it(self) -> None:
        router = build('/u/{user:int}/files/{rest:path}')
        assert matched(router, '/u/3/files/a/b') == (
            '/u/{user:int}/files/{rest:path}',
            {'user': 3, 'rest': 'a/b'},
        )
        assert matched(router, '/u/x/files/a/b') is None


def test_leading_slashes_are_ignored_like_falcon() -> None:
    router = build('/a/b')
    assert matched(router, '//a/b') == ('/a/b', {})


def test_query_like_text_is_part_of_the_segment() -> None:
    # The router sees only the (decoded) path: "?" here is a character like any other.
    router = build('/a/{x}')
    assert matched(router, '/a/b?c=d') == ('/a/{x}', {'x': 'b?c=d'})


def test_req_argument_is_ignored() -> None:
    router = build('/a')
    assert router.find('/a', req=object()) == router.find('/a')
    assert router.find('/a', object()) is not None


def test_params_dict_is_fresh_for_every_match() -> None:
    router = build('/a', '/b/{x}')
    for path in ('/a', '/b/1'):
        first = router.find(path)
        assert first is not None
        first[2]['injected'] = True
        second = router.find(path)
        assert second is not None
        assert 'injected' not in second[2]


@pytest.mark.parametrize('count', [1, INLINE_LITERALS, INLINE_LITERALS + 1, 200])
def test_many_literal_siblings_dispatch_correctly(count: int) -> None:
    # Below the inline threshold literals are compared in line, above it through a dict: both
    # must give identical results, including backtracking to the field.
    templates = [f'/r/lit{i}/{{id}}' for i in range(count)] + ['/r/{name}/x']
    router = build(*templates)
    for i in range(count):
        assert matched(router, f'/r/lit{i}/7') == (f'/r/lit{i}/{{id}}', {'id': '7'})
        assert matched(router, f'/r/lit{i}/x') == (f'/r/lit{i}/{{id}}', {'id': 'x'})
    assert matched(router, '/r/lit0/7/8') is None
    assert matched(router, '/r/other/x') == ('/r/{name}/x', {'name': 'other'})
    assert matched(router, f'/r/lit{count}/7') is None


def test_very_deep_templates_compile_and_match() -> None:
    # Deep templates exceed what Python accepts as nested blocks unless the compiler splits
    # the generated code into functions.
    deep = '/' + '/'.join(f'{{f{i}:int}}' for i in range(60))
    also = '/' + '/'.join(f'{{f{i}:int}}' for i in range(59)) + '/end'
    router = build(deep, also)
    values = '/'.join(str(i) for i in range(60))
    result = matched(router, '/' + values)
    assert result is not None
    assert result[1] == {f'f{i}': i for i in range(60)}
    assert matched(router, '/' + '/'.join(str(i) for i in range(59)) + '/end') is not None
    assert matched(router, '/' + values + '/61') is None


def test_routes_added_after_the_first_find_are_compiled_in() -> None:
    router = build('/a')
    assert matched(router, '/a') == ('/a', {})
    assert matched(router, '/b/1') is None
    router.add_route('/b/{x}', Resource('b'))
    assert matched(router, '/b/1') == ('b', {'x': '1'})
    assert matched(router, '/a') == ('/a', {})


def test_concurrent_first_finds_compile_once_and_agree() -> None:
    router = build(*[f'/t{i}/{{x:int}}' for i in range(50)])
    compiled: list[int] = []
    original = router.compile

    def counting_compile() -> None:
        compiled.append(1)
        original()

    router.compile = counting_compile  # type: ignore[method-assign]
    results: list[Any] = []

    def worker(i: int) -> None:
        results.append(router.find(f'/t{i}/{i}'))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(compiled) == 1
    assert sorted(r[2]['x'] for r in results) == list(range(8))
