"""lanner.util.mediatypes: parse_header, quality and best_match."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

import lanner
from lanner.errors import InvalidMediaRange, InvalidMediaType
from lanner.util import mediatypes
from lanner.util.mediatypes import best_match, parse_header, quality


def test_aliases() -> None:
    assert lanner.parse_header is parse_header
    assert lanner.mediatypes is mediatypes


# parse_header ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('line', 'expected'),
    [
        ('text/plain', ('text/plain', {})),
        ('  text/plain  ', ('text/plain', {})),
        ('text/plain; charset=utf-8', ('text/plain', {'charset': 'utf-8'})),
        ('text/plain;CharSet="UTF-8"', ('text/plain', {'charset': 'UTF-8'})),
        (
            'form-data; name="file"; filename="a;b.txt"',
            ('form-data', {'name': 'file', 'filename': 'a;b.txt'}),
        ),
        ('attachment; filename="a\\"b\\\\c"', ('attachment', {'filename': 'a"b\\c'})),
        ('x; novalue; =empty; a = 1 ', ('x', {'a': '1'})),
        ('', ('', {})),
    ],
)
def test_parse_header(line: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_header(line) == expected


# quality ---------------------------------------------------------------------------------------

RFC7231_ACCEPT = (
    'text/*;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5'
)


@pytest.mark.parametrize(
    ('media_type', 'q'),
    [
        ('text/html;level=1', 1.0),
        ('text/html', 0.7),
        ('text/plain', 0.3),
        ('image/jpeg', 0.5),
        ('text/html;level=2', 0.4),
        ('text/html;level=3', 0.7),
    ],
)
def test_quality_rfc7231_example(media_type: str, q: float) -> None:
    assert quality(media_type, RFC7231_ACCEPT) == q


RFC9110_ACCEPT = (
    'text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, '
    'text/plain;format=fixed;q=0.4, */*;q=0.5'
)


@pytest.mark.parametrize(
    ('media_type', 'q'),
    [
        ('text/plain;format=flowed', 1.0),
        ('text/plain', 0.7),
        ('text/html', 0.3),
        ('image/jpeg', 0.5),
        ('text/plain;format=fixed', 0.4),
        ('text/html;level=3', 0.3),
    ],
)
def test_quality_rfc9110_example(media_type: str, q: float) -> None:
    assert quality(media_type, RFC9110_ACCEPT) == q


def test_quality_basics() -> None:
    assert quality('application/json', 'application/json') == 1.0
    assert quality('application/json', 'APPLICATION/JSON;q=0.5') == 0.5
    assert quality('application/json', 'text/html') == 0.0
    # Empty list elements are skipped, but a blank header is malformed (as in Falcon).
    assert quality('application/json', 'text/html, , application/json;q=0.3') == 0.3
    for blank in ('', ' ', ' , '):
        with pytest.raises(InvalidMediaRange):
            quality('application/json', blank)
    assert quality('application/json', 'application/json;q=0') == 0.0
    assert quality('application/json', '*') == 1.0
    # Parameters after q are accept-extensions, not media type parameters.
    assert quality('text/html', 'text/html;q=0.2;ext=1') == 0.2


def test_quality_exact_match_beats_wildcard_regardless_of_q() -> None:
    assert quality('application/json', 'application/json;q=0.1, */*') == 0.1
    assert quality('application/json', 'application/*;q=0.2, */*;q=0.9') == 0.2


@pytest.mark.parametrize(
    'header',
    [
        'text',
        'text/',
        '/html',
        'text/html/x',
        'text/html;q=abc',
        'text/html;q=1.5',
        'a/b;q=-0.1',
        'a/b;q=nan',
        'a/b;q=inf',
    ],
)
def test_quality_invalid_range(header: str) -> None:
    with pytest.raises(InvalidMediaRange):
        quality('text/html', header)


@pytest.mark.parametrize('media_type', ['json', '', 'application/', '/json'])
def test_quality_invalid_media_type(media_type: str) -> None:
    with pytest.raises(InvalidMediaType):
        quality(media_type, '*/*')


# best_match ------------------------------------------------------------------------------------


def test_best_match() -> None:
    candidates = ['application/json', 'application/xml']
    assert best_match(candidates, 'application/xml') == 'application/xml'
    assert best_match(candidates, '*/*') == 'application/json'
    assert best_match(candidates, 'application/xml;q=0.9, application/json;q=0.8') == (
        'application/xml'
    )
    # Ties go to the earlier candidate.
    assert best_match(candidates, 'application/xml, application/json') == 'application/json'
    assert best_match(candidates, 'text/html') == ''
    assert best_match(candidates, 'application/json;q=0, application/xml;q=0') == ''
    assert best_match([], '*/*') == ''


def test_best_match_browser_accept() -> None:
    accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
    assert best_match(['application/json', 'application/xml'], accept) == 'application/xml'
    assert best_match(['application/json'], accept) == 'application/json'


def test_best_match_malformed_header_raises() -> None:
    # As in Falcon: the caller decides what a malformed (client) header means.
    for header in ('text/html;q=x', 'garbage', '', 'a/b;q=1337'):
        with pytest.raises(InvalidMediaRange):
            best_match(['application/json'], header)


def test_best_match_candidate_is_split_at_the_first_slash() -> None:
    # As in Falcon, a candidate only needs a slash; a stray list just never matches.
    assert best_match(['text/html, text/plain'], 'text/x-python') == ''
    assert best_match(['text/html, text/plain', 'text/x-python'], 'text/*') == (
        'text/html, text/plain'
    )


def test_private_parsed_classes() -> None:
    from lanner.util import mediatypes

    media_type = mediatypes._MediaType.parse('Text/Plain; charset=latin-1')
    assert (media_type.main_type, media_type.subtype) == ('text', 'plain')
    assert media_type.params == {'charset': 'latin-1'}
    media_range = mediatypes._MediaRange.parse('*; Q=0.25; level=1')
    assert (media_range.main_type, media_range.subtype, media_range.quality) == ('*', '*', 0.25)
    assert media_range.params == {}
    assert mediatypes._MediaRange.parse('a/b; x=1').params == {'x': '1'}
    with pytest.raises(InvalidMediaRange):
        mediatypes._MediaRange.parse('text')
    with pytest.raises(InvalidMediaRange):
        mediatypes._MediaRange.parse('a/b, c/d')
    with pytest.raises(InvalidMediaType):
        mediatypes._MediaType.parse('text')


def test_best_match_invalid_candidate_raises() -> None:
    with pytest.raises(InvalidMediaType):
        best_match(['json'], '*/*')


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_best_match_only_raises_invalid_media_range_for_any_header(header: str) -> None:
    try:
        chosen = best_match(['application/json', 'text/html;level=1'], header)
    except InvalidMediaRange:
        return
    assert chosen in ('', 'application/json', 'text/html;level=1')
