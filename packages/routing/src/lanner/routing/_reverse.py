"""Reverse routing: build a path from a route's template and field values (private).

The rule this module keeps: a path it returns, once a server percent-decodes it, routes back to
the same template with the same field values. Values that cannot satisfy that (a ``/`` inside a
single-segment field, a field that would become ``.`` or ``..``, a value its converter would not
accept again) are refused with :class:`URLBuildError` instead of producing a wrong link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from lanner.routing._template import COMPLEX, LITERAL, MULTI, Field, Segment

# RFC 3986 "pchar" minus "+" and ";": both are legal in a path, but some servers and proxies
# give them special meaning (form decoding, path parameters), so they are percent-encoded too.
_SAFE = "!$&'()*,=:@"


class URLBuildError(ValueError):
    """``url_for`` cannot build a path from the given values."""


class UnknownRouteError(LookupError):
    """``url_for`` was given a name, template or resource that no route was added with."""


def split_complex(literals: tuple[str, ...], text: str) -> list[str] | None:
    """Split ``text`` the way the router splits a complex segment (leftmost-greedy fields).

    ``literals`` are the k + 1 texts around the k fields; every field gets at least one
    character. Returns the field texts, or ``None`` when ``text`` does not fit.
    """
    head, tail = literals[0], literals[-1]
    if not text.startswith(head) or not text.endswith(tail):
        return None
    k = len(literals) - 1
    ends = [0] * (k + 1)
    ends[k] = len(text) - len(tail)
    if ends[k] <= len(head):
        return None
    for i in range(k - 1, 0, -1):
        ends[i] = text.rfind(literals[i], 0, ends[i + 1] - 1)
        if ends[i] <= len(head):
            return None
    starts = [0, len(head)] + [ends[i] + len(literals[i]) for i in range(1, k)]
    return [text[starts[i] : ends[i]] for i in range(1, k + 1)]


def _field_text(template: str, field: Field, value: Any) -> tuple[str, Any]:
    """Format one field; return its text and the value the router will give back for it."""
    converter = field.converter
    if converter is None:
        if value is None or isinstance(value, bool):
            raise URLBuildError(
                f'The value for the field {field.name!r} of {template!r} must be a string '
                f'(or a number), not {value!r}.'
            )
        text = value if isinstance(value, str) else str(value)
        return text, text

    to_str = getattr(converter, 'to_str', None)
    try:
        text = to_str(value) if to_str is not None else str(value)
    except (TypeError, ValueError) as exc:
        raise URLBuildError(
            f'The {field.converter_name!r} converter of the field {field.name!r} in '
            f'{template!r} cannot format {value!r}: {exc}.'
        ) from exc
    if not isinstance(text, str):
        raise URLBuildError(
            f'{type(converter).__name__}.to_str() returned {type(text).__name__}, not str, '
            f'for the field {field.name!r} of {template!r}.'
        )

    check = text.split('/') if getattr(converter, 'CONSUME_MULTIPLE_SEGMENTS', False) else text
    converted = converter.convert(check)
    if converted is None:
        raise URLBuildError(
            f'The value {value!r} for the field {field.name!r} of {template!r} is not accepted '
            f'by its converter {field.converter_name!r} (formatted as {text!r}), so the path '
            'would not route back to this template.'
        )
    return text, converted


def _reject_dot_segment(template: str, decoded: str, names: str) -> None:
    if decoded in ('.', '..'):
        raise URLBuildError(
            f'The value for {names} of {template!r} would produce the path segment '
            f'{decoded!r}, which clients and proxies remove while normalising URLs.'
        )


def build(
    template: str, segments: tuple[Segment, ...], params: Mapping[str, Any]
) -> tuple[str, str, dict[str, Any]]:
    """Build the path for ``template`` filled with ``params``.

    Returns:
        ``(encoded_path, decoded_path, expected)`` where ``expected`` holds the values the
        router should produce when it matches ``decoded_path`` (used to verify the result).

    Raises:
        URLBuildError: A value is missing, unexpected or cannot be represented.
    """
    field_names = [f.name for s in segments for f in s.fields]
    missing = [name for name in field_names if name not in params]
    extra = sorted(set(params) - set(field_names))
    if missing or extra:
        problems = []
        if missing:
            problems.append('missing ' + ', '.join(repr(m) for m in missing))
        if extra:
            problems.append('unexpected ' + ', '.join(repr(e) for e in extra))
        raise URLBuildError(
            f'Cannot build a path for {template!r}: {"; ".join(problems)}. Its fields are: '
            f'{", ".join(field_names) or "(none)"}.'
        )

    encoded: list[str] = []
    decoded: list[str] = []
    expected: dict[str, Any] = {}
    for segment in segments:
        if segment.kind == LITERAL:
            encoded.append(quote(segment.raw, safe=_SAFE))
            decoded.append(segment.raw)
            continue

        if segment.kind == MULTI:
            field = segment.fields[0]
            text, expected[field.name] = _field_text(template, field, params[field.name])
            parts = text.split('/')
            for part in parts:
                _reject_dot_segment(template, part, f'the field {field.name!r}')
            encoded.append('/'.join(quote(part, safe=_SAFE) for part in parts))
            decoded.append(text)
            continue

        texts = []
        for field in segment.fields:
            text, expected[field.name] = _field_text(template, field, params[field.name])
            texts.append(text)
        for field, text in zip(segment.fields, texts, strict=True):
            if '/' in text:
                raise URLBuildError(
                    f'The value {params[field.name]!r} for the field {field.name!r} of '
                    f'{template!r} contains "/", but the field matches a single path segment '
                    '(servers decode %2F to "/" before routing). Use a {name:path} field for '
                    'values that span segments.'
                )
        pieces_decoded = [segment.literals[0]]
        pieces_encoded = [quote(segment.literals[0], safe=_SAFE)]
        for literal, text in zip(segment.literals[1:], texts, strict=True):
            pieces_decoded += [text, literal]
            pieces_encoded += [quote(text, safe=_SAFE), quote(literal, safe=_SAFE)]
        whole = ''.join(pieces_decoded)
        names = ', '.join(repr(f.name) for f in segment.fields)
        _reject_dot_segment(template, whole, f'the field(s) {names}')
        if segment.kind == COMPLEX and split_complex(segment.literals, whole) != texts:
            raise URLBuildError(
                f'The values for {names} of {template!r} would produce the segment {whole!r}, '
                f'which the router splits differently (fields in {segment.raw!r} match '
                'greedily from the left and need at least one character each).'
            )
        encoded.append(''.join(pieces_encoded))
        decoded.append(whole)

    return '/' + '/'.join(encoded), '/' + '/'.join(decoded), expected
