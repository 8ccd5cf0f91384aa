"""Result, Cookie, StreamedResult/ResultBodyStream and get_encoding_from_headers."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from lanner import testing
from lanner.testing import Cookie, Result, ResultBodyStream, get_encoding_from_headers
from lanner.util.structures import CaseInsensitiveDict


def make(body: bytes = b'', status: Any = '200 OK', headers: Any = None) -> Result:
    return Result([body] if body else [], status, headers or [])


class TestResult:
    def test_status_and_code(self) -> None:
        result = make(status='201 Created')
        assert result.status == '201 Created'
        assert result.status_code == 201
        # ASGI gives int statuses; they become status lines.
        assert make(status=404).status == '404 Not Found'
        assert make(status=299).status == '299 Unknown'

    def test_headers_case_insensitive(self) -> None:
        result = make(headers=[('content-type', 'text/plain'), ('x-a', '1')])
        assert isinstance(result.headers, CaseInsensitiveDict)
        assert result.headers['X-A'] == '1'
        assert result.content_type == 'text/plain'
        assert make().content_type is None

    def test_content_text_json(self) -> None:
        result = make(b'{"a": "\xc3\xa9"}', headers=[('content-type', 'application/json')])
        assert result.content == b'{"a": "\xc3\xa9"}'
        assert result.encoding == 'UTF-8'
        assert result.text == '{"a": "é"}'
        assert result.text is result.text  # cached
        assert result.json == {'a': 'é'}

    def test_empty_body(self) -> None:
        result = make()
        assert result.content == b''
        assert result.text == ''
        assert result.json is None

    def test_text_uses_declared_charset_else_utf8(self) -> None:
        latin = make('é'.encode('latin-1'), headers=[('content-type', 'text/plain')])
        assert latin.encoding == 'ISO-8859-1'
        assert latin.text == 'é'
        unknown = make('é'.encode(), headers=[('content-type', 'application/octet-stream')])
        assert unknown.encoding is None
        assert unknown.text == 'é'

    def test_body_in_several_chunks(self) -> None:
        assert Result([b'a', b'b', b'c'], '200 OK', []).content == b'abc'

    def test_undecodable_text_says_what_to_do(self) -> None:
        result = make(b'\xff\xfe', headers=[('content-type', 'text/plain; charset=utf-8')])
        with pytest.raises(UnicodeDecodeError, match=r'result.content'):
            _ = result.text
        result = make(b'abc', headers=[('content-type', 'text/plain; charset=nope')])
        with pytest.raises(LookupError, match="unknown charset 'nope'"):
            _ = result.text

    def test_invalid_json_says_what_it_saw(self) -> None:
        result = make(b'<html>', headers=[('content-type', 'text/html')])
        with pytest.raises(json.JSONDecodeError, match=r'not valid JSON.*<html>'):
            _ = result.json

    def test_repr(self) -> None:
        assert repr(make(b'hi', headers=[('content-type', 'text/plain')])) == (
            "Result<200 OK text/plain b'hi'>"
        )
        assert repr(make()) == "Result<200 OK b''>"
        long = make(b'a' * 20 + b'MIDDLE' + b'z' * 20)
        assert repr(long) == "Result<200 OK b'" + 'a' * 20 + '...' + 'z' * 20 + "'>"

    def test_rich(self) -> None:
        rendered = make(b'x', status=404, headers=[('content-type', 'text/plain')]).__rich__()
        assert '[bold red]404 Not Found[/]' in rendered
        assert 'text/plain' in rendered
        assert '[bold green]200 OK' in make().__rich__()
        # Codes outside 1xx-5xx are cyan, as in Falcon.
        assert '[bold cyan]702' in make(status='702 Emacs').__rich__()


class TestCookies:
    def test_parsed_from_set_cookie_headers(self) -> None:
        result = make(
            headers=[
                (
                    'set-cookie',
                    'a=1; Path=/p; Domain=example.com; Max-Age=60; Secure; HttpOnly; '
                    'SameSite=Strict; Partitioned',
                ),
                ('set-cookie', 'b="quoted value"; expires=Wed, 21 Oct 2015 07:28:00 GMT'),
                ('set-cookie', 'c='),
                ('set-cookie', 'garbage-without-equals'),
            ]
        )
        assert set(result.cookies) == {'a', 'b', 'c'}
        a = result.cookies['a']
        assert (a.name, a.value, a.path, a.domain, a.max_age) == ('a', '1', '/p', 'example.com', 60)
        assert a.secure and a.http_only and a.partitioned
        assert a.same_site == 'Strict'
        assert a.expires is None
        b = result.cookies['b']
        assert b.value == 'quoted value'
        assert b.expires == datetime.datetime(2015, 10, 21, 7, 28, tzinfo=datetime.timezone.utc)
        assert (b.path, b.domain, b.max_age, b.same_site) == (None, None, None, None)
        assert not (b.secure or b.http_only or b.partitioned)
        assert result.cookies['c'].value == ''

    def test_escaped_values_are_unquoted(self) -> None:
        # What http.cookies emits for a value with quotes, a backslash and non-ASCII text.
        result = make(headers=[('set-cookie', r'k="a\"b\\c\303\251"')])
        assert result.cookies['k'].value == 'a"b\\cé'

    def test_later_cookie_with_same_name_wins(self) -> None:
        result = make(headers=[('set-cookie', 'a=1'), ('set-cookie', 'a=2')])
        assert result.cookies['a'].value == '2'

    def test_from_a_stdlib_morsel(self) -> None:
        from http.cookies import SimpleCookie

        jar: SimpleCookie = SimpleCookie()
        jar.load('x=y; Path=/; HttpOnly')
        cookie = Cookie(jar['x'])
        assert (cookie.name, cookie.value, cookie.path, cookie.http_only) == ('x', 'y', '/', True)
        assert cookie.partitioned is False

    def test_bad_attributes_raise_clear_errors(self) -> None:
        result = make(headers=[('set-cookie', 'a=1; Expires=tomorrow; Max-Age=soon')])
        with pytest.raises(ValueError, match="Cookie 'a' has an unparseable Expires"):
            _ = result.cookies['a'].expires
        with pytest.raises(ValueError, match="Cookie 'a' has a non-integer Max-Age"):
            _ = result.cookies['a'].max_age


@pytest.mark.parametrize(
    ('content_type', 'expected'),
    [
        (None, None),
        ('application/json', 'UTF-8'),
        ('text/event-stream', 'UTF-8'),
        ('text/html', 'ISO-8859-1'),
        ('text/html; charset="utf-16"', 'utf-16'),
        ("text/plain; Charset='koi8-r'", 'koi8-r'),
        ('image/png', None),
        ('application/xml; charset=utf-8', 'utf-8'),
    ],
)
def test_get_encoding_from_headers(content_type: str | None, expected: str | None) -> None:
    headers = CaseInsensitiveDict({'Content-Type': content_type} if content_type else {})
    assert get_encoding_from_headers(headers) == expected
    # A plain dict with any header-name case works too.
    plain = {'Content-Type': content_type} if content_type else {}
    assert get_encoding_from_headers(plain) == expected


async def test_result_body_stream_returns_only_new_chunks() -> None:
    chunks: list[bytes] = [b'a', b'b']
    stream = ResultBodyStream(chunks)
    assert await stream.read() == b'ab'
    assert await stream.read() == b''
    chunks.append(b'c')
    assert await stream.read() == b'c'
    # Read chunks are released, so a long stream does not accumulate in memory.
    assert chunks == []


def test_results_from_a_real_app_round_trip_cookies() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response(
            '200 OK',
            [('Content-Type', 'text/plain'), ('Set-Cookie', 'a=1; Secure'), ('Set-Cookie', 'b=2')],
        )
        return [environ.get('HTTP_COOKIE', '').encode()]

    first = testing.simulate_get(app, '/')
    assert {name: c.value for name, c in first.cookies.items()} == {'a': '1', 'b': '2'}
    second = testing.simulate_get(app, '/', cookies=first.cookies)
    assert second.text == 'a=1; b=2'
