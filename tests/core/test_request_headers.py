"""Request headers: raw access, typed properties, cookies and content negotiation."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from _reqresp import environ, make_request
import pytest

import lanner
from lanner import errors

# -- raw access -------------------------------------------------------------------------------


def test_headers_dict_case_per_flavour(asgi: bool) -> None:
    req = make_request(asgi, headers={'X-Custom': 'v', 'Content-Type': 'text/plain'}, body=b'abc')
    if asgi:
        assert req.headers['x-custom'] == 'v'
        assert req.headers['content-type'] == 'text/plain'
        assert req.headers['content-length'] == '3'
        assert req.headers_lower is req.headers
    else:
        assert req.headers['X-CUSTOM'] == 'v'
        assert req.headers['CONTENT-TYPE'] == 'text/plain'
        assert req.headers['CONTENT-LENGTH'] == '3'
        assert req.headers['HOST'] == 'example.com'
    assert req.headers_lower['x-custom'] == 'v'
    assert req.headers_lower['host'] == 'example.com'
    # Built once, then cached.
    assert req.headers is req.headers


def test_wsgi_headers_skip_empty_content_headers() -> None:
    req = lanner.Request(environ(extra={'CONTENT_TYPE': '', 'CONTENT_LENGTH': ''}))
    assert 'CONTENT-TYPE' not in req.headers
    assert 'CONTENT-LENGTH' not in req.headers
    assert req.get_header('Content-Type') is None
    assert req.content_type is None
    assert req.content_length is None


@pytest.mark.parametrize('name', ['X-Custom', 'x-custom', 'X-CUSTOM', 'x-CuStOm'])
def test_get_header_is_case_insensitive(asgi: bool, name: str) -> None:
    req = make_request(asgi, headers={'X-Custom': 'value'})
    assert req.get_header(name) == 'value'


def test_get_header_missing_default_and_required(asgi: bool) -> None:
    req = make_request(asgi)
    assert req.get_header('X-Nope') is None
    assert req.get_header('X-Nope', default='d') == 'd'
    with pytest.raises(errors.HTTPMissingHeader) as info:
        req.get_header('X-Nope', required=True)
    assert info.value.status_code == 400
    assert info.value.title == 'Missing header value'
    assert info.value.description == 'The "X-Nope" header is required.'


def test_get_header_present_but_empty_is_returned(asgi: bool) -> None:
    req = make_request(asgi, headers={'X-Empty': ''})
    assert req.get_header('X-Empty') == ''
    assert req.get_header('X-Empty', required=True) == ''


def test_get_header_content_type_and_length(asgi: bool) -> None:
    req = make_request(asgi, headers={'Content-Type': 'application/json'}, body=b'{}')
    assert req.get_header('content-type') == 'application/json'
    assert req.get_header('CONTENT-LENGTH') == '2'


def test_duplicate_headers_asgi_joined_except_singletons() -> None:
    req = make_request(
        True,
        headers=[
            ('X-Multi', 'a'),
            ('X-Multi', 'b'),
            ('Content-Type', 'text/plain'),
            ('Content-Type', 'application/json'),
            ('Cookie', 'a=1'),
            ('Cookie', 'b=2'),
            ('User-Agent', 'one'),
            ('User-Agent', 'two'),
        ],
    )
    assert req.get_header('X-Multi') == 'a,b'
    assert req.content_type == 'application/json'
    assert req.user_agent == 'two'
    # Only the last Cookie header is considered.
    assert req.cookies == {'b': '2'}


def test_asgi_headers_from_scope_odd_lists() -> None:
    from lanner.asgi.request import headers_from_scope

    # Upper-case and bytearray names (unhashable), a repeat after a first clean pass, a tuple.
    raw = [(b'X-A', b'1'), (bytearray(b'x-b'), b'2'), (b'x-a', b'3'), (b'host', b'h')]
    for headers in (raw, tuple(raw), raw[:2], raw[::-1]):
        expected = {'x-a': '1,3', 'x-b': '2', 'host': 'h'}
        if len(headers) == 2:
            expected = {'x-a': '1', 'x-b': '2'}
        elif headers[0][0] == b'host':
            expected['x-a'] = '3,1'
        assert headers_from_scope({'headers': headers}) == expected
    assert headers_from_scope({'headers': iter([(b'x-c', b'4')])}) == {'x-c': '4'}
    assert headers_from_scope({}) == {}


def test_huge_header_values_are_handled(asgi: bool) -> None:
    big = 'x' * 200_000
    # Over the default max_header_bytes: WSGI refuses the value when it is read (ASGI refused
    # the request in the App's loop, which a bare request does not go through).
    if not asgi:
        req = make_request(asgi, headers={'X-Big': big})
        with pytest.raises(errors.HTTPRequestHeaderFieldsTooLarge):
            req.get_header('X-Big')
    options = lanner.RequestOptions()
    options.max_header_bytes = None
    req = make_request(asgi, headers={'X-Big': big, 'Content-Length': '9' * 5000}, options=options)
    assert req.get_header('X-Big') == big
    with pytest.raises(errors.HTTPInvalidHeader):
        req.content_length  # noqa: B018


# -- typed properties --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('prop', 'header'),
    [
        ('auth', 'Authorization'),
        ('expect', 'Expect'),
        ('if_range', 'If-Range'),
        ('last_event_id', 'Last-Event-ID'),
        ('referer', 'Referer'),
        ('user_agent', 'User-Agent'),
        ('content_type', 'Content-Type'),
    ],
)
def test_plain_header_properties(asgi: bool, prop: str, header: str) -> None:
    assert getattr(make_request(asgi), prop) is None
    assert getattr(make_request(asgi, headers={header: 'some value'}), prop) == 'some value'


def test_empty_authorization_is_none(asgi: bool) -> None:
    assert make_request(asgi, headers={'Authorization': ''}).auth is None


def test_accept_defaults_to_wildcard(asgi: bool) -> None:
    assert make_request(asgi).accept == '*/*'
    assert make_request(asgi, headers={'Accept': ''}).accept == '*/*'
    assert make_request(asgi, headers={'Accept': 'text/html'}).accept == 'text/html'


@pytest.mark.parametrize(
    ('value', 'expected'), [('0', 0), ('42', 42), (' 7 ', 7), ('', None), ('  ', None)]
)
def test_content_length(asgi: bool, value: str, expected: int | None) -> None:
    req = make_request(asgi, headers={'Content-Length': value})
    assert req.content_length == expected


@pytest.mark.parametrize(
    ('value', 'message'),
    [
        ('NaN', 'The value of the header must be a number.'),
        ('abc', 'The value of the header must be a number.'),
        ('1_000', 'The value of the header must be a number.'),
        ('+5', 'The value of the header must be a number.'),
        ('1.5', 'The value of the header must be a number.'),
        ('٣', 'The value of the header must be a number.'),
        ('-1', 'The value of the header must be a positive number.'),
        ('-42', 'The value of the header must be a positive number.'),
    ],
)
def test_invalid_content_length_is_400(asgi: bool, value: str, message: str) -> None:
    req = make_request(asgi, headers={'Content-Length': value.encode().decode('latin-1')})
    with pytest.raises(errors.HTTPInvalidHeader) as info:
        req.content_length  # noqa: B018
    assert info.value.status_code == 400
    assert info.value.title == 'Invalid header value'
    assert info.value.description == (
        f'The value provided for the "Content-Length" header is invalid. {message}'
    )


@pytest.mark.parametrize(
    ('prop', 'header'),
    [
        ('date', 'Date'),
        ('if_modified_since', 'If-Modified-Since'),
        ('if_unmodified_since', 'If-Unmodified-Since'),
    ],
)
def test_date_headers(asgi: bool, prop: str, header: str) -> None:
    req = make_request(asgi, headers={header: 'Tue, 15 Nov 1994 12:45:26 GMT'})
    assert getattr(req, prop) == datetime(1994, 11, 15, 12, 45, 26, tzinfo=timezone.utc)
    assert getattr(make_request(asgi), prop) is None


@pytest.mark.parametrize(
    'value',
    [
        'Tue, 15 Nov 1994 12:45:26 UTC',
        'yesterday',
        'Tue, 31 Feb 1994 12:45:26 GMT',
        'Tuesday, 15-Nov-94 12:45:26 GMT',
        'Tue, 15 Nov 99999 12:45:26 GMT',
        'Tüe, 15 Nov 1994 12:45:26 GMT',
        '',
    ],
)
@pytest.mark.parametrize('header', ['Date', 'If-Modified-Since', 'If-Unmodified-Since'])
def test_malformed_date_headers_are_400(asgi: bool, header: str, value: str) -> None:
    req = make_request(asgi, headers={header: value.encode().decode('latin-1')})
    prop = header.lower().replace('-', '_')
    with pytest.raises(errors.HTTPInvalidHeader) as info:
        getattr(req, prop)
    assert info.value.description == (
        f'The value provided for the "{header}" header is invalid. '
        'It must be formatted according to RFC 7231, Section 7.1.1.1'
    )


def test_get_header_as_datetime(asgi: bool) -> None:
    req = make_request(
        asgi,
        headers={
            'X-When': 'Tue, 15 Nov 1994 12:45:26 GMT',
            'X-Old': 'Sunday, 06-Nov-94 08:49:37 GMT',
        },
    )
    assert req.get_header_as_datetime('X-When').year == 1994
    assert req.get_header_as_datetime('X-Missing') is None
    with pytest.raises(errors.HTTPMissingHeader):
        req.get_header_as_datetime('X-Missing', required=True)
    with pytest.raises(errors.HTTPInvalidHeader):
        req.get_header_as_datetime('X-Old')
    assert req.get_header_as_datetime('X-Old', obs_date=True) == datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc
    )


def test_get_header_as_int(asgi: bool) -> None:
    req = make_request(asgi, headers={'X-N': '42', 'X-Neg': '-3', 'X-Bad': '4x'})
    assert req.get_header_as_int('X-N') == 42
    assert req.get_header_as_int('X-Neg') == -3
    assert req.get_header_as_int('X-Missing') is None
    with pytest.raises(errors.HTTPInvalidHeader) as info:
        req.get_header_as_int('X-Bad')
    assert info.value.description.endswith('The value of the header must be an integer.')
    with pytest.raises(errors.HTTPMissingHeader):
        req.get_header_as_int('X-Missing', required=True)


@pytest.mark.parametrize('prop', ['if_match', 'if_none_match'])
def test_etag_lists(asgi: bool, prop: str) -> None:
    header = 'If-Match' if prop == 'if_match' else 'If-None-Match'
    assert getattr(make_request(asgi), prop) is None
    assert getattr(make_request(asgi, headers={header: '*'}), prop) == ['*']
    assert getattr(make_request(asgi, headers={header: ' , ,'}), prop) is None
    assert getattr(make_request(asgi, headers={header: '   '}), prop) is None

    tags = getattr(make_request(asgi, headers={header: '"abc", W/"weak,one" ,"", w/"x"'}), prop)
    assert tags == ['abc', 'weak,one', '', 'x']
    assert all(isinstance(t, lanner.ETag) for t in tags)
    assert [t.is_weak for t in tags] == [False, True, False, True]


@pytest.mark.parametrize(
    ('value', 'expected'),
    [
        # One tag (no comma) is read as ETag.loads reads it: unbalanced quotes are kept.
        ('abc"', [('abc"', False)]),
        ('"abc', [('"abc', False)]),
        (' W/"x y " ', [('x y ', True)]),
        ('plain', [('plain', False)]),
        # In a list only quoted tags count; unquoted items and junk between them are skipped.
        ('W/"a", junk"b,c", x "d, e", unquoted, w/"f", ""', [
            ('a', True), ('b,c', False), ('d, e', False), ('f', True), ('', False),
        ]),
        ('one, two', None),
    ],
)  # fmt: skip
def test_etag_parsing_rules(asgi: bool, value: str, expected: Any) -> None:
    tags = make_request(asgi, headers={'If-Match': value}).if_match
    if expected is None:
        assert tags is None
    else:
        assert [(str(t), t.is_weak) for t in tags] == expected


@pytest.mark.parametrize(
    ('value', 'expected', 'unit'),
    [
        ('bytes=0-499', (0, 499), 'bytes'),
        ('bytes=500-', (500, -1), 'bytes'),
        ('bytes=-500', (-500, -1), 'bytes'),
        ('bytes= 10 - 20 ', (10, 20), 'bytes'),
        ('items=0-0', (0, 0), 'items'),
    ],
)
def test_range(asgi: bool, value: str, expected: tuple[int, int], unit: str) -> None:
    req = make_request(asgi, headers={'Range': value})
    assert req.range == expected
    assert req.range_unit == unit


@pytest.mark.parametrize(
    'value',
    [
        '0-499',
        'bytes=0-1,5-6',
        'bytes=10-5',
        'bytes=-0',
        'bytes=-',
        'bytes=',
        'bytes=a-b',
        'bytes=1-x',
        'bytes=1.5-2',
        'bytes=' + '9' * 5000 + '-',
        'bytes=٣-٤',
        '',
    ],
)
def test_invalid_range_is_400(asgi: bool, value: str) -> None:
    req = make_request(asgi, headers={'Range': value.encode().decode('latin-1')})
    with pytest.raises(errors.HTTPInvalidHeader) as info:
        req.range  # noqa: B018
    assert info.value.status_code == 400
    assert '"Range"' in info.value.description


def test_range_unit_without_equals_is_400(asgi: bool) -> None:
    with pytest.raises(errors.HTTPInvalidHeader):
        make_request(asgi, headers={'Range': '0-1'}).range_unit  # noqa: B018
    with pytest.raises(errors.HTTPInvalidHeader):
        make_request(asgi, headers={'Range': ''}).range_unit  # noqa: B018
    assert make_request(asgi).range_unit is None
    assert make_request(asgi).range is None


# -- cookies -----------------------------------------------------------------------------------


def test_cookies_basic(asgi: bool) -> None:
    req = make_request(asgi, headers={'Cookie': 'a=1; b=two; c='})
    assert req.cookies == {'a': '1', 'b': 'two', 'c': ''}
    assert make_request(asgi).cookies == {}


def test_duplicate_cookies_first_wins_and_values_list_all(asgi: bool) -> None:
    req = make_request(asgi, headers={'Cookie': 'id=1; other=x; id=2; ID=3'})
    assert req.cookies['id'] == '1'
    assert req.cookies['ID'] == '3'
    assert req.get_cookie_values('id') == ['1', '2']
    assert req.get_cookie_values('Id') is None
    assert req.get_cookie_values('nope') is None


def test_malformed_and_invalid_cookie_pairs_are_skipped(asgi: bool) -> None:
    header = 'good=1; novalue; =empty; bad name=2; bad"q=3; also(bad)=4; ;; ok2 = spaced ; x=a=b'
    req = make_request(asgi, headers={'Cookie': header})
    assert req.cookies == {'good': '1', 'ok2': 'spaced', 'x': 'a=b'}


def test_quoted_cookie_values_are_unescaped(asgi: bool) -> None:
    req = make_request(asgi, headers={'Cookie': r'q="a\"b\073c\\d"; plain="x"; half="y'})
    assert req.cookies['q'] == 'a"b;c\\d'
    assert req.cookies['plain'] == 'x'
    assert req.cookies['half'] == '"y'


def test_non_ascii_cookie_name_is_skipped(asgi: bool) -> None:
    header = 'ñame=1; name=2'.encode().decode('latin-1')
    req = make_request(asgi, headers={'Cookie': header})
    assert req.cookies == {'name': '2'}


# -- negotiation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('accept', 'json', 'xml', 'msgpack'),
    [
        (None, True, True, True),
        ('*/*', True, True, True),
        ('application/json', True, False, False),
        ('application/xml', False, True, False),
        ('application/msgpack', False, False, True),
        ('application/x-msgpack', False, False, True),
        ('application/*', True, True, True),
        ('text/html, application/json;q=0', False, False, False),
        ('text/html', False, False, False),
    ],
)
def test_client_accepts(
    asgi: bool, accept: str | None, json: bool, xml: bool, msgpack: bool
) -> None:
    headers = {'Accept': accept} if accept is not None else {}
    req = make_request(asgi, headers=headers)
    assert req.client_accepts_json is json
    assert req.client_accepts_xml is xml
    assert req.client_accepts_msgpack is msgpack


def test_client_accepts_exact_and_malformed(asgi: bool) -> None:
    req = make_request(asgi, headers={'Accept': 'text/plain; charset=utf-8'})
    assert req.client_accepts('text/plain; charset=utf-8')
    assert req.client_accepts('text/plain')
    bad = make_request(asgi, headers={'Accept': 'text/plain; q=nope'})
    assert bad.client_accepts('text/plain') is False
    bad2 = make_request(asgi, headers={'Accept': ';;;'})
    assert bad2.client_accepts('text/plain') is False


def test_client_prefers(asgi: bool) -> None:
    req = make_request(asgi, headers={'Accept': 'text/html;q=0.5, application/json'})
    assert req.client_prefers(['text/html', 'application/json']) == 'application/json'
    assert req.client_prefers(['text/html']) == 'text/html'
    assert req.client_prefers(['image/png']) is None
    anything = make_request(asgi)
    # Ties go to the earliest candidate.
    assert anything.client_prefers(['application/xml', 'application/json']) == 'application/xml'
    malformed = make_request(asgi, headers={'Accept': 'text/html; q=x'})
    assert malformed.client_prefers(['text/html']) is None


def test_parse_etags_private_alias() -> None:
    # Falcon's private spelling, provided because ported code imports it from this module.
    from lanner import request_helpers

    assert request_helpers._parse_etags('W/"a", "b"') == ['a', 'b']
    assert request_helpers._parse_etags(' , ') is None
