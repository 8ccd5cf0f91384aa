"""The Forwarded header parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

import lanner
from lanner.forwarded import Forwarded, parse_forwarded_header


def _as_tuples(header: str) -> list[tuple[str | None, ...]]:
    return [(f.src, f.dest, f.host, f.scheme) for f in parse_forwarded_header(header)]


def test_forwarded_defaults() -> None:
    forwarded = Forwarded()
    assert (forwarded.src, forwarded.dest, forwarded.host, forwarded.scheme) == (
        None,
        None,
        None,
        None,
    )
    assert lanner.Forwarded is Forwarded
    assert 'src=None' in repr(forwarded)


def test_single_element_all_parameters() -> None:
    header = 'for=192.0.2.60;proto=HTTP;by=203.0.113.43;host=example.com'
    assert _as_tuples(header) == [('192.0.2.60', '203.0.113.43', 'example.com', 'http')]


def test_multiple_elements_in_order() -> None:
    header = 'for=192.0.2.43, for=198.51.100.17;by=203.0.113.60;proto=https'
    assert _as_tuples(header) == [
        ('192.0.2.43', None, None, None),
        ('198.51.100.17', '203.0.113.60', None, 'https'),
    ]


def test_names_case_insensitive_and_quoted_values() -> None:
    header = 'For="[2001:db8:cafe::17]:4711";HOST="ex\\"ample.com";PROTO="HTTPS"'
    assert _as_tuples(header) == [('[2001:db8:cafe::17]:4711', None, 'ex"ample.com', 'https')]


def test_quoted_values_may_contain_separators() -> None:
    assert _as_tuples('for="a,b;c", for=d') == [
        ('a,b;c', None, None, None),
        ('d', None, None, None),
    ]


def test_whitespace_tolerated() -> None:
    header = '  for = 1.2.3.4 ;  proto = http  ,   by=x  '
    assert _as_tuples(header) == [('1.2.3.4', None, None, 'http'), (None, 'x', None, None)]


def test_empty_elements_dropped() -> None:
    assert _as_tuples(',, for=a ,;, ,') == [('a', None, None, None)]
    assert parse_forwarded_header('') == []


def test_unknown_parameters_ignored() -> None:
    assert _as_tuples('for=a;secret=x') == [('a', None, None, None)]


@pytest.mark.parametrize(
    ('header', 'expected'),
    [
        ('for=a;=b, for=c', [('a', None, None, None), ('c', None, None, None)]),
        ('for, for=c', [('c', None, None, None)]),
        ('for="unterminated, for=c', [('c', None, None, None)]),
        ('for=a b;proto=http, by=d', [('a', None, None, None), (None, 'd', None, None)]),
        ('for=@@@, host=h', [(None, None, 'h', None)]),
        ('garbage', []),
    ],
)
def test_syntax_errors_skip_to_next_element(
    header: str, expected: list[tuple[str | None, ...]]
) -> None:
    assert _as_tuples(header) == expected


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_never_raises(header: str) -> None:
    for element in parse_forwarded_header(header):
        assert isinstance(element, Forwarded)
