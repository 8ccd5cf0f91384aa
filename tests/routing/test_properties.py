"""Property tests: templates built from random segments match exactly the paths they should.

Each property compares the compiled router with an independent reference written here in the
plainest possible way (regular expressions and a recursive walk), so a bug in the generated code
(inline versus dict dispatch, backtracking, complex-segment splitting, converters) shows up as a
disagreement on some random input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any
from urllib.parse import unquote

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lanner.routing import CompiledRouter, UnacceptableRouteError, URLBuildError
from lanner.routing._reverse import split_complex

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Small alphabets make collisions (shared prefixes, literals inside values) likely.
LITERAL_CHARS = 'ab.-_~:é'
VALUE_CHARS = 'ab.-:é1 \n%'


@dataclass
class SegmentSpec:
    kind: str  # 'lit', 'field', 'int', 'complex', 'path'
    literals: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def template(self) -> str:
        if self.kind == 'lit':
            return self.literals[0]
        if self.kind == 'field':
            return '{' + self.names[0] + '}'
        if self.kind == 'int':
            return '{' + self.names[0] + ':int}'
        if self.kind == 'path':
            return '{' + self.names[0] + ':path}'
        parts = [self.literals[0]]
        for name, literal in zip(self.names, self.literals[1:], strict=True):
            parts += ['{' + name + '}', literal]
        return ''.join(parts)


@st.composite
def segment_specs(draw: st.DrawFn, last: bool, names: list[str]) -> SegmentSpec:
    kinds = ['lit', 'lit', 'field', 'int', 'complex'] + (['path'] if last else [])
    kind = draw(st.sampled_from(kinds))

    def fresh() -> str:
        name = f'f{len(names)}'
        names.append(name)
        return name

    if kind == 'lit':
        text = draw(st.text(LITERAL_CHARS, min_size=0 if last else 1, max_size=3))
        return SegmentSpec('lit', [text])
    if kind == 'complex':
        count = draw(st.integers(1, 3))
        literals = [draw(st.text(LITERAL_CHARS, max_size=2)) for _ in range(count + 1)]
        if count == 1 and not literals[0] and not literals[1]:
            literals[1] = '.'
        return SegmentSpec('complex', literals, [fresh() for _ in range(count)])
    return SegmentSpec(kind, [], [fresh()])


@st.composite
def templates(draw: st.DrawFn) -> list[SegmentSpec]:
    depth = draw(st.integers(1, 4))
    names: list[str] = []
    return [draw(segment_specs(last=i == depth - 1, names=names)) for i in range(depth)]


def template_text(specs: list[SegmentSpec]) -> str:
    return '/' + '/'.join(s.template() for s in specs)


# ---------------------------------------------------------------------------------------------
# Reference semantics


def int_oracle(text: str) -> int | None:
    # The int converter's documented rule: [+-]?[0-9]+ in ASCII (no whitespace, no '1_000').
    if re.fullmatch(r'[+-]?[0-9]+', text, flags=re.ASCII) is None:
        return None
    return int(text)


def reference_match(specs: list[SegmentSpec], path: str) -> dict[str, Any] | None:
    """Match one template with a single regular expression over the whole path."""
    pieces = []
    for spec in specs:
        if spec.kind == 'lit':
            pieces.append(re.escape(spec.literals[0]))
        elif spec.kind in ('field', 'int'):
            pieces.append(f'(?P<{spec.names[0]}>[^/]*)')
        elif spec.kind == 'path':
            pieces.append(f'(?P<{spec.names[0]}>.*)')
        else:
            regex = re.escape(spec.literals[0])
            for name, literal in zip(spec.names, spec.literals[1:], strict=True):
                regex += f'(?P<{name}>[^/]+)' + re.escape(literal)
            pieces.append(regex)
    normalised = '/' + path.lstrip('/')
    match = re.fullmatch('/' + '/'.join(pieces), normalised, re.DOTALL)
    if match is None:
        return None
    params: dict[str, Any] = match.groupdict()
    for spec in specs:
        if spec.kind == 'int':
            value = int_oracle(params[spec.names[0]])
            if value is None:
                return None
            params[spec.names[0]] = value
    return params


@st.composite
def values_for(draw: st.DrawFn, spec: SegmentSpec) -> str:
    if spec.kind == 'lit':
        return spec.literals[0]
    if spec.kind == 'field':
        return draw(st.text(VALUE_CHARS + LITERAL_CHARS, max_size=4).filter(lambda t: '/' not in t))
    if spec.kind == 'int':
        return draw(st.one_of(st.integers(-999, 999).map(str), st.text('0123 -+x', max_size=3)))
    if spec.kind == 'path':
        return draw(st.text(VALUE_CHARS + '/', max_size=6))
    text = spec.literals[0]
    for literal in spec.literals[1:]:
        text += draw(st.text(VALUE_CHARS + LITERAL_CHARS, min_size=1, max_size=3)) + literal
    return text


@st.composite
def paths_near(draw: st.DrawFn, specs: list[SegmentSpec]) -> str:
    segments = [draw(values_for(spec)) for spec in specs]
    path = '/' + '/'.join(segments)
    mutation = draw(st.sampled_from(['none', 'none', 'drop', 'append', 'slash', 'char', 'lead']))
    if mutation == 'drop':
        path = path.rsplit('/', 1)[0] or '/'
    elif mutation == 'append':
        path += '/' + draw(st.text(VALUE_CHARS, max_size=2))
    elif mutation == 'slash':
        path += '/'
    elif mutation == 'char' and len(path) > 1:
        index = draw(st.integers(1, len(path) - 1))
        path = path[:index] + draw(st.sampled_from(LITERAL_CHARS + 'x/')) + path[index + 1 :]
    elif mutation == 'lead':
        path = '/' + path
    return path


class Res:
    def on_get(self, req: Any, resp: Any, **kw: Any) -> None:
        pass


@SETTINGS
@given(data=st.data(), specs=templates())
def test_single_template_matches_exactly_what_the_reference_matches(
    data: st.DataObject, specs: list[SegmentSpec]
) -> None:
    router = CompiledRouter()
    template = template_text(specs)
    router.add_route(template, Res())
    for _ in range(5):
        path = data.draw(paths_near(specs))
        expected = reference_match(specs, path)
        found = router.find(path)
        if expected is None:
            assert found is None, (template, path, found)
        else:
            assert found is not None, (template, path, expected)
            assert found[3] == template
            assert found[2] == expected, (template, path)


# ---------------------------------------------------------------------------------------------
# Several templates: precedence and backtracking against a recursive reference walk


@dataclass
class RefNode:
    spec: SegmentSpec
    raw: str
    children: list[RefNode] = field(default_factory=list)
    template: str | None = None


def ref_insert(roots: list[RefNode], specs: list[SegmentSpec], template: str) -> None:
    level = roots
    node = None
    for spec in specs:
        raw = spec.template()
        node = next((n for n in level if n.raw == raw), None)
        if node is None:
            node = RefNode(spec, raw)
            level.append(node)
        level = node.children
    assert node is not None
    node.template = template


def ref_segment(spec: SegmentSpec, segment: str) -> dict[str, Any] | None:
    if spec.kind == 'field':
        return {spec.names[0]: segment}
    if spec.kind == 'int':
        value = int_oracle(segment)
        return None if value is None else {spec.names[0]: value}
    regex = re.escape(spec.literals[0])
    for literal in spec.literals[1:]:
        regex += '(.+)' + re.escape(literal)
    match = re.fullmatch(regex, segment, re.DOTALL)
    return None if match is None else dict(zip(spec.names, match.groups(), strict=True))


def ref_find(roots: list[RefNode], path: str) -> tuple[str, dict[str, Any]] | None:
    segments = path.lstrip('/').split('/')

    def visit(nodes: list[RefNode], i: int, params: dict[str, Any]) -> Any:
        segment = segments[i]
        ordered = (
            [n for n in nodes if n.spec.kind == 'lit' and n.raw == segment]
            + [n for n in nodes if n.spec.kind == 'complex']
            + [n for n in nodes if n.spec.kind in ('field', 'int', 'path')]
        )
        for node in ordered:
            if node.spec.kind == 'path':
                if node.template is not None:
                    rest = '/'.join(segments[i:])
                    return node.template, {**params, node.spec.names[0]: rest}
                continue
            captured = {} if node.spec.kind == 'lit' else ref_segment(node.spec, segment)
            if captured is None:
                continue
            found = None
            if i + 1 == len(segments):
                if node.template is not None:
                    found = node.template, {**params, **captured}
            elif node.children:
                found = visit(node.children, i + 1, {**params, **captured})
            if found is not None:
                return found
        return None

    return visit(roots, 0, {})


@st.composite
def sibling_templates(draw: st.DrawFn) -> list[SegmentSpec]:
    """Templates sharing their first segment, so their second segments compete as siblings."""
    names: list[str] = []
    depth = draw(st.integers(2, 3))
    second = draw(
        st.sampled_from(['complex', 'complex', 'any']).flatmap(
            lambda kind: segment_specs(last=depth == 2, names=names).filter(
                lambda spec: kind == 'any' or spec.kind == 'complex'
            )
        )
    )
    rest = [draw(segment_specs(last=True, names=names))] if depth == 3 else []
    return [SegmentSpec('lit', ['p']), second, *rest]


@SETTINGS
@given(
    data=st.data(),
    specs_list=st.one_of(
        st.lists(templates(), min_size=1, max_size=10),
        st.lists(sibling_templates(), min_size=2, max_size=10),
    ),
)
def test_many_templates_follow_the_documented_precedence(
    data: st.DataObject, specs_list: list[list[SegmentSpec]]
) -> None:
    router = CompiledRouter()
    roots: list[RefNode] = []
    accepted: list[list[SegmentSpec]] = []
    for specs in specs_list:
        template = template_text(specs)
        try:
            router.add_route(template, Res())
        except UnacceptableRouteError:
            continue
        ref_insert(roots, specs, template)
        accepted.append(specs)
    assume(accepted)
    for _ in range(6):
        specs = data.draw(st.sampled_from(accepted))
        path = data.draw(paths_near(specs))
        expected = ref_find(roots, path)
        found = router.find(path)
        if expected is None:
            assert found is None, (path, found)
        else:
            assert found is not None, (path, expected)
            assert (found[3], found[2]) == expected, path


@st.composite
def competing_segments(draw: st.DrawFn) -> list[list[SegmentSpec]]:
    """Complex (and maybe one plain) segments under one prefix, built from a tiny alphabet so
    that one segment value often fits several of them and the order of trial decides."""
    count = draw(st.integers(2, 4))
    result = []
    for i in range(count):
        fields = draw(st.integers(1, 2))
        literals = [draw(st.text('.-', max_size=1)) for _ in range(fields + 1)]
        if fields == 1 and not literals[0] and not literals[1]:
            literals[1] = '.'
        names = [f'c{i}_{j}' for j in range(fields)]
        result.append([SegmentSpec('lit', ['p']), SegmentSpec('complex', literals, names)])
    if draw(st.booleans()):
        result.append([SegmentSpec('lit', ['p']), SegmentSpec('field', [], ['plain'])])
    return result


@SETTINGS
@given(specs_list=competing_segments(), values=st.lists(st.text('a.-', min_size=1, max_size=5)))
def test_competing_complex_segments_are_tried_in_registration_order(
    specs_list: list[list[SegmentSpec]], values: list[str]
) -> None:
    router = CompiledRouter()
    roots: list[RefNode] = []
    for specs in specs_list:
        template = template_text(specs)
        try:
            router.add_route(template, Res())
        except UnacceptableRouteError:
            continue
        ref_insert(roots, specs, template)
    for value in values:
        expected = ref_find(roots, '/p/' + value)
        found = router.find('/p/' + value)
        assert (None if found is None else (found[3], found[2])) == expected, value


@SETTINGS
@given(
    literals=st.lists(st.text('ab.-', max_size=2), min_size=2, max_size=4),
    text=st.text('ab.-', max_size=8),
)
def test_complex_split_is_the_leftmost_greedy_regex_split(literals: list[str], text: str) -> None:
    regex = ''.join(
        re.escape(lit) + ('(.+)' if i < len(literals) - 1 else '') for i, lit in enumerate(literals)
    )
    match = re.fullmatch(regex, text, re.DOTALL)
    expected = None if match is None else list(match.groups())
    assert split_complex(tuple(literals), text) == expected


# ---------------------------------------------------------------------------------------------
# Reverse routing


@st.composite
def python_value(draw: st.DrawFn, spec: SegmentSpec, name: str) -> Any:
    if spec.kind == 'int':
        return draw(st.integers(-(10**6), 10**6))
    if spec.kind == 'path':
        return draw(st.text(VALUE_CHARS + '/?#', max_size=8))
    return draw(st.text(VALUE_CHARS + LITERAL_CHARS + '?#/+', max_size=5))


@SETTINGS
@given(data=st.data(), specs=templates())
def test_url_for_round_trips_or_refuses(data: st.DataObject, specs: list[SegmentSpec]) -> None:
    router = CompiledRouter()
    template = template_text(specs)
    router.add_route(template, Res(), name='t')
    params = {name: data.draw(python_value(spec, name)) for spec in specs for name in spec.names}
    try:
        path = router.url_for('t', **params)
    except URLBuildError:
        return
    # Only unreserved characters, sub-delimiters, ":", "@", "/" and escapes remain.
    assert re.fullmatch(r"[A-Za-z0-9\-._~!$&'()*,=:@/%]*", path), path
    found = router.find(unquote(path))
    assert found is not None, (template, params, path)
    assert found[3] == template
    assert found[2] == params
