"""Parsing and validating URI templates (private to lanner.routing).

Grammar (informal)::

    template   := ['/'] segment ('/' segment)*  -- App.add_route requires the leading '/'
    segment    := (literal | field)*          -- empty only as the last segment ('/a/')
    field      := '{' name [':' converter ['(' args ')']] '}'
    name       := Python identifier that is not a keyword
    converter  := [A-Za-z_][A-Za-z0-9_]*      -- a key of router.options.converters
    args       := Python call arguments made of literals: 8, min=1, "%Y-%m-%d", ...

A segment is *literal* (no field), *simple* (exactly one field and nothing else), *multi* (a
simple field whose converter consumes the remaining segments, e.g. ``path``) or *complex*
(anything else: ``{name}.{ext}``, ``v{major}``). Everything here runs at registration time.
"""

from __future__ import annotations

from collections.abc import Mapping
import keyword
import re
from typing import Any, NamedTuple

LITERAL = 'literal'
SIMPLE = 'simple'
MULTI = 'multi'
COMPLEX = 'complex'

_CONVERTER_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')

# The compiler recurses once per segment; this keeps it far from Python's recursion limit.
MAX_SEGMENTS = 200


class UnacceptableRouteError(ValueError):
    """A URI template (or a route built from it) cannot be added to the router."""


class FieldSpec(NamedTuple):
    """One ``{...}`` field of a template, before its converter is instantiated."""

    name: str
    converter_name: str | None
    argstr: str | None
    expression: str


class Field(NamedTuple):
    """A field with its converter instance (``None`` for a plain string field)."""

    name: str
    converter: Any
    converter_name: str | None
    argstr: str | None


class Segment:
    """One path segment of a template.

    ``literals`` holds the text around the fields: for a complex segment with *k* fields it has
    *k + 1* entries (possibly empty), for a literal segment it is ``(raw,)``.
    """

    __slots__ = ('fields', 'kind', 'literals', 'raw')

    def __init__(
        self, raw: str, kind: str, literals: tuple[str, ...], fields: tuple[Field, ...]
    ) -> None:
        self.raw = raw
        self.kind = kind
        self.literals = literals
        self.fields = fields

    @property
    def shape(self) -> tuple[str, ...]:
        """The literal text of a complex segment: two segments with equal shapes are ambiguous."""
        return self.literals

    def __repr__(self) -> str:
        return f'Segment({self.raw!r}, {self.kind!r})'


def _fail(template: str, problem: str, advice: str) -> UnacceptableRouteError:
    return UnacceptableRouteError(f'Cannot add the URI template {template!r}: {problem}. {advice}')


def _split_fields(template: str, raw: str) -> tuple[list[str], list[FieldSpec]]:
    """Split a segment into literal text and field specs: ``a{x}b{y}`` -> [a, b, ''], [x, y]."""
    literals: list[str] = []
    specs: list[FieldSpec] = []
    pos = 0
    while True:
        start = raw.find('{', pos)
        text = raw[pos:] if start == -1 else raw[pos:start]
        if '}' in text:
            raise _fail(
                template,
                f'the segment {raw!r} has a "}}" without a matching "{{"',
                'Literal braces are not allowed in templates.',
            )
        literals.append(text)
        if start == -1:
            return literals, specs
        end = raw.find('}', start)
        if end == -1:
            raise _fail(
                template,
                f'the segment {raw!r} has a "{{" without a closing "}}"',
                'Write fields as {name}, {name:converter} or {name:converter(args)}.',
            )
        if '{' in raw[start + 1 : end]:
            raise _fail(
                template,
                f'the segment {raw!r} nests "{{" inside a field',
                'Fields cannot contain braces.',
            )
        specs.append(_parse_field(template, raw[start : end + 1]))
        pos = end + 1


def _parse_field(template: str, expression: str) -> FieldSpec:
    body = expression[1:-1]
    name, sep, conv = body.partition(':')
    if not name.isidentifier() or keyword.iskeyword(name):
        raise _fail(
            template,
            f'the field name {name!r} in {expression!r} is not a valid Python identifier',
            'Field names become keyword arguments of the responder, so use names like {item_id}.',
        )
    if not sep:
        return FieldSpec(name, None, None, expression)
    argstr: str | None = None
    paren = conv.find('(')
    if paren != -1:
        if not conv.endswith(')'):
            raise _fail(
                template,
                f'the converter arguments in {expression!r} must end with ")"',
                'Write converter arguments like {id:int(4, min=1)}.',
            )
        argstr = conv[paren + 1 : -1]
        conv = conv[:paren]
    if not conv:
        raise _fail(
            template,
            f'the field {expression!r} has an empty converter name',
            'Either drop the ":" or name a converter, e.g. {id:int}.',
        )
    if not _CONVERTER_NAME.match(conv):
        raise _fail(
            template,
            f'the converter name {conv!r} in {expression!r} is not valid',
            'Converter names look like Python identifiers (int, uuid, my_converter).',
        )
    return FieldSpec(name, conv, argstr, expression)


def _evaluate_arguments(template: str, spec: FieldSpec) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Parse ``argstr`` as call arguments made only of Python literals.

    Arguments are parsed with :mod:`ast` and :func:`ast.literal_eval` instead of ``eval``: a
    template can never run code, and the error points at the offending argument.
    """
    if spec.argstr is None or not spec.argstr.strip():
        return (), {}
    import ast  # only templates with converter arguments need it; keeps the import light

    try:
        call = ast.parse(f'_({spec.argstr})', mode='eval').body
    except SyntaxError:
        raise _fail(
            template,
            f'the converter arguments in {spec.expression!r} are not valid Python call arguments',
            'Write them like a function call, e.g. {id:int(4, min=1)} or {day:dt("%Y-%m-%d")}.',
        ) from None
    assert isinstance(call, ast.Call)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    try:
        for node in call.args:
            if isinstance(node, ast.Starred):
                raise ValueError('*args')
            args.append(ast.literal_eval(node))
        for kw in call.keywords:
            if kw.arg is None:
                raise ValueError('**kwargs')
            kwargs[kw.arg] = ast.literal_eval(kw.value)
    except ValueError:
        raise _fail(
            template,
            f'the converter arguments in {spec.expression!r} must be Python literals '
            '(numbers, strings, True/False/None, tuples, lists, dicts)',
            'Names, expressions and *args/**kwargs are not evaluated in templates.',
        ) from None
    return tuple(args), kwargs


def _instantiate(template: str, spec: FieldSpec, converters: Mapping[str, Any]) -> Any:
    if spec.converter_name is None:
        return None
    try:
        converter_class = converters[spec.converter_name]
    except KeyError:
        known = ', '.join(sorted(converters))
        raise _fail(
            template,
            f'the converter {spec.converter_name!r} in {spec.expression!r} is not registered '
            f'(known: {known})',
            'Register custom converters with router.options.converters[name] = MyConverter '
            '(app.router_options on an App) before adding the routes that use them.',
        ) from None
    args, kwargs = _evaluate_arguments(template, spec)
    try:
        converter = converter_class(*args, **kwargs)
    except Exception as exc:
        raise _fail(
            template,
            f'Cannot instantiate converter "{spec.converter_name}" for {spec.expression!r} '
            f'({type(exc).__name__}: {exc})',
            f'Check the arguments against {getattr(converter_class, "__name__", converter_class)}'
            "'s signature.",
        ) from exc
    if not callable(getattr(converter, 'convert', None)):
        raise _fail(
            template,
            f'the converter {spec.converter_name!r} has no convert() method',
            'Converters implement convert(value) and return None to reject a value; see '
            'lanner.routing.BaseConverter.',
        )
    return converter


def _consumes_multiple(converter: Any) -> bool:
    return bool(getattr(converter, 'CONSUME_MULTIPLE_SEGMENTS', False))


def parse_template(template: str, converters: Mapping[str, Any]) -> tuple[Segment, ...]:
    """Validate ``template`` and turn it into segments with converter instances.

    Raises:
        TypeError: ``template`` is not a string.
        UnacceptableRouteError: Anything else is wrong with it; the message says what to do.
    """
    if not isinstance(template, str):
        raise TypeError(
            f'The URI template must be a str such as "/items/{{item_id}}", '
            f'not {type(template).__name__}.'
        )
    if '//' in template:
        raise _fail(
            template,
            'it contains "//" (an empty segment)',
            'Remove the duplicate slash; only a single trailing "/" is allowed.',
        )
    outside = re.sub(r'\{[^{}]*\}', '', template)
    if any(ch.isspace() for ch in outside):
        raise _fail(
            template,
            'it contains whitespace outside of field expressions',
            'Remove it; to match paths that contain whitespace, use a field and check its '
            'value in the responder.',
        )

    # The router, like Falcon's, also takes a template without the leading "/" (the App insists
    # on it); both spellings match the same paths.
    raw_segments = template.removeprefix('/').split('/')
    if len(raw_segments) > MAX_SEGMENTS:
        raise _fail(
            template,
            f'it has {len(raw_segments)} segments, more than the {MAX_SEGMENTS} supported',
            'Use a {name:path} field to capture long paths.',
        )
    seen: set[str] = set()
    segments: list[Segment] = []
    for index, raw in enumerate(raw_segments):
        literals, specs = _split_fields(template, raw)
        fields = []
        for spec in specs:
            if spec.name in seen:
                raise _fail(
                    template,
                    f'the field name {spec.name!r} is used more than once',
                    'Each field becomes a keyword argument, so names must be unique.',
                )
            seen.add(spec.name)
            converter = _instantiate(template, spec, converters)
            fields.append(Field(spec.name, converter, spec.converter_name, spec.argstr))

        if not fields:
            segments.append(Segment(raw, LITERAL, (raw,), ()))
            continue
        is_simple = len(fields) == 1 and literals == ['', '']
        multi = [f for f in fields if _consumes_multiple(f.converter)]
        if multi:
            if not is_simple:
                raise _fail(
                    template,
                    f'Cannot use converter "{multi[0].converter_name}" of variable '
                    f'"{multi[0].name}" in a template segment that includes other characters '
                    f'or variables ({raw!r}): it consumes several segments',
                    'Such a field must be a whole segment, e.g. /files/{rest:path}.',
                )
            if index != len(raw_segments) - 1:
                # Worded like Falcon's error, which applications may match on.
                raise UnacceptableRouteError(
                    f'Cannot add route with template "{template}". Field name "{multi[0].name}" '
                    f'uses the converter "{multi[0].converter_name}" that will consume all the '
                    'path, making it impossible to match this route. Make '
                    f'{{{multi[0].name}:{multi[0].converter_name}}} the last segment.'
                )
            segments.append(Segment(raw, MULTI, ('', ''), tuple(fields)))
        elif is_simple:
            segments.append(Segment(raw, SIMPLE, ('', ''), tuple(fields)))
        else:
            segments.append(Segment(raw, COMPLEX, tuple(literals), tuple(fields)))
    return tuple(segments)
