"""lanner.uri: percent-encoding, decoding, query strings, hosts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

import lanner
from lanner import uri
from lanner.util import uri as util_uri


def test_module_alias_exposes_the_same_functions() -> None:
    for name in uri.__all__:
        assert getattr(uri, name) is getattr(util_uri, name)
    assert lanner.uri is uri


# encode ----------------------------------------------------------------------------------------


def test_encode_spec_example() -> None:
    assert uri.encode('http://x/ä b?q=1&r=%20') == 'http://x/%C3%A4%20b?q=1&r=%2520'


def test_encode_keeps_unreserved_and_delimiters() -> None:
    text = "AZaz09-._~:/?#[]@!$&'()*+,;="
    assert uri.encode(text) == text


@pytest.mark.parametrize(
    ('raw', 'encoded'),
    [
        ('', ''),
        (' ', '%20'),
        ('%', '%25'),
        ('"<>\\^`{|}', '%22%3C%3E%5C%5E%60%7B%7C%7D'),
        ('\x00\x7f', '%00%7F'),
        ('€', '%E2%82%AC'),
        ('😀', '%F0%9F%98%80'),
    ],
)
def test_encode_escapes_everything_else_in_upper_case(raw: str, encoded: str) -> None:
    assert uri.encode(raw) == encoded


def test_encode_never_raises_on_lone_surrogates() -> None:
    # WSGI-style surrogate-escaped raw bytes round-trip to the original byte.
    assert uri.encode('/a\udcff') == '/a%FF'
    assert uri.encode('/a\ud800') == '/a%ED%A0%80'


def test_encode_value() -> None:
    assert uri.encode_value('a b/c?d') == 'a%20b%2Fc%3Fd'
    assert uri.encode_value('AZaz09-._~') == 'AZaz09-._~'
    assert uri.encode_value(":/?#[]@!$&'()*+,;=") == (
        '%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D'
    )
    assert uri.encode_value('100%') == '100%25'
    assert uri.encode_value('ü') == '%C3%BC'


@pytest.mark.parametrize(
    ('raw', 'encoded'),
    [
        ('/a%20b', '/a%20b'),
        ('/a%2fb%C3%BC', '/a%2fb%C3%BC'),
        ('/a%20b c', '/a%2520b%20c'),
        ('/a%2', '/a%252'),
        ('/a%zz', '/a%25zz'),
        ('/ü%20', '/%C3%BC%2520'),
        ('', ''),
    ],
)
def test_encode_check_escaped(raw: str, encoded: str) -> None:
    assert uri.encode_check_escaped(raw) == encoded


@pytest.mark.parametrize(
    ('raw', 'encoded'),
    [
        ('a%2Fb', 'a%2Fb'),
        ('a/b', 'a%2Fb'),
        ('a%2Fb/c', 'a%252Fb%2Fc'),
        ('%', '%25'),
    ],
)
def test_encode_value_check_escaped(raw: str, encoded: str) -> None:
    assert uri.encode_value_check_escaped(raw) == encoded


# decode ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('encoded', 'decoded'),
    [
        ('', ''),
        ('plain', 'plain'),
        ('a+b', 'a b'),
        ('a%2Bb', 'a+b'),
        ('%E2%82%AC%zz%', '€%zz%'),
        ('%e2%82%ac', '€'),
        ('100%', '100%'),
        ('%%20%', '% %'),
        ('%2', '%2'),
        ('%G0', '%G0'),
        ('ü%20ä', 'ü ä'),
        ('%F0%9F%98%80', '😀'),
    ],
)
def test_decode(encoded: str, decoded: str) -> None:
    assert uri.decode(encoded) == decoded


def test_decode_without_plus() -> None:
    assert uri.decode('a+b%20c', unquote_plus=False) == 'a+b c'


def test_decode_invalid_utf8_becomes_replacement_characters() -> None:
    assert uri.decode('%FF') == '\ufffd'
    assert uri.decode('a%C3') == 'a\ufffd'
    assert uri.decode('%C3%28') == '\ufffd('


def test_decode_utf16_surrogate_escapes_are_not_valid_utf8() -> None:
    # CESU-8 style encoded surrogate pair: invalid UTF-8, replaced rather than raising.
    decoded = uri.decode('%ED%A0%BD%ED%B8%80')
    assert decoded
    assert set(decoded) == {'\ufffd'}


def test_decode_never_raises_on_lone_surrogates_in_input() -> None:
    assert uri.decode('\udcff%20') == '\ufffd '


@given(st.text(alphabet=st.characters(exclude_categories=['Cs'])))
@settings(max_examples=200, deadline=None)
def test_decode_inverts_encode_value(text: str) -> None:
    assert uri.decode(uri.encode_value(text)) == text
    assert uri.decode(uri.encode(text), unquote_plus=False) == text


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_decode_and_parse_never_raise(text: str) -> None:
    uri.decode(text)
    uri.parse_query_string(text, keep_blank=True, csv=True)
    uri.encode_check_escaped(text)


# parse_query_string ----------------------------------------------------------------------------


def test_parse_query_string_defaults() -> None:
    assert uri.parse_query_string('') == {}
    assert uri.parse_query_string('a=1&b=2') == {'a': '1', 'b': '2'}
    # The function's own keep_blank default is False.
    assert uri.parse_query_string('a=&b=2&c') == {'b': '2'}


def test_parse_query_string_repeated_names_become_lists() -> None:
    assert uri.parse_query_string('id=1,2,,&id=3') == {'id': ['1,2,,', '3']}
    assert uri.parse_query_string('a=1&a=2&a=3') == {'a': ['1', '2', '3']}


def test_parse_query_string_plus_and_escapes_in_names_and_values() -> None:
    assert uri.parse_query_string('first+name=J%C3%B6rg+X&a%2Bb=c%26d') == {
        'first name': 'Jörg X',
        'a+b': 'c&d',
    }


def test_parse_query_string_bad_escapes_kept_verbatim() -> None:
    assert uri.parse_query_string('x=%%20%+%') == {'x': '% % %'}


def test_parse_query_string_keep_blank() -> None:
    assert uri.parse_query_string('a=&b&c=1', keep_blank=True) == {'a': '', 'b': '', 'c': '1'}


def test_parse_query_string_empty_fields() -> None:
    # A field with neither name nor value is always dropped; an empty name is kept.
    assert uri.parse_query_string('&&=&', keep_blank=True) == {}
    assert uri.parse_query_string('=foo') == {'': 'foo'}


def test_parse_query_string_csv() -> None:
    assert uri.parse_query_string('id=23,42,,&id=2', csv=True) == {'id': ['23', '42', '2']}
    assert uri.parse_query_string('t=1,,2&t=3,4', keep_blank=True, csv=True) == {
        't': ['1', '', '2', '3', '4']
    }
    # Splitting happens before percent-decoding.
    assert uri.parse_query_string('a=x%2Cy,z', csv=True) == {'a': ['x,y', 'z']}
    assert uri.parse_query_string('a=1&a=2,3', csv=True) == {'a': ['1', '2', '3']}
    # A value of only commas keeps its field, as an empty list (as in Falcon).
    assert uri.parse_query_string('a=,,', csv=True) == {'a': []}
    assert uri.parse_query_string('a=,', keep_blank=True, csv=True) == {'a': ['', '']}


def test_parse_query_string_json_with_commas_intact_without_csv() -> None:
    qs = 'q=%7B%22a%22%3A%201%2C%20%22b%22%3A%202%7D&r=[1,2]'
    assert uri.parse_query_string(qs) == {'q': '{"a": 1, "b": 2}', 'r': '[1,2]'}


# parse_host ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('host', 'expected'),
    [
        ('example.com', ('example.com', None)),
        ('example.com:8080', ('example.com', 8080)),
        ('127.0.0.1:80', ('127.0.0.1', 80)),
        ('[::1]:8080', ('::1', 8080)),
        ('[::1]', ('::1', None)),
        ('::1', ('::1', None)),
        ('fe80::1:2:3', ('fe80::1:2:3', None)),
        ('', ('', None)),
    ],
)
def test_parse_host(host: str, expected: tuple[str, int | None]) -> None:
    assert uri.parse_host(host) == expected


def test_parse_host_default_port() -> None:
    assert uri.parse_host('example.com', default_port=443) == ('example.com', 443)
    assert uri.parse_host('[::1]', default_port=80) == ('::1', 80)
    assert uri.parse_host('example.com:81', default_port=80) == ('example.com', 81)


@pytest.mark.parametrize(
    'host', ['example.com:', 'example.com:http', 'a:+80', 'a: 80', 'a:٨٠', 'a:99999', '[::1]:x']
)
def test_parse_host_bad_port_raises_value_error(host: str) -> None:
    with pytest.raises(ValueError, match='port'):
        uri.parse_host(host)


# unquote_string --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('quoted', 'unquoted'),
    [
        ('"abc"', 'abc'),
        ('abc', 'abc'),
        ('"a\\"b"', 'a"b'),
        ('"a\\\\b"', 'a\\b'),
        ('"a\\xb"', 'axb'),
        ('""', ''),
        ('"', '"'),
        ('"unterminated', '"unterminated'),
        ('"dangling\\"', 'dangling\\'),
    ],
)
def test_unquote_string(quoted: str, unquoted: str) -> None:
    assert uri.unquote_string(quoted) == unquoted


def test_private_encoding_names_for_ported_code() -> None:
    # What encode() leaves alone, under Falcon's private name.
    assert util_uri.encode(util_uri._ALL_ALLOWED) == util_uri._ALL_ALLOWED
    assert '%' not in util_uri._ALL_ALLOWED and ' ' not in util_uri._ALL_ALLOWED


@pytest.mark.parametrize('joiner', ['_join_tokens_list', '_join_tokens_bytearray'])
def test_decode_through_either_token_joiner(monkeypatch: pytest.MonkeyPatch, joiner: str) -> None:
    monkeypatch.setattr(util_uri, '_join_tokens', getattr(util_uri, joiner))
    assert uri.decode('a%20b%zz%E2%82%AC%ff%') == 'a b%zz\u20ac\ufffd%'
    assert uri.decode('x+y%2B', unquote_plus=True) == 'x y+'
