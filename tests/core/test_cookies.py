"""Response cookies: set_cookie / unset_cookie attributes, quirks and injection safety."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import http.cookies
from typing import Any

import pytest

import lanner
import lanner.asgi
from lanner.response_helpers import http_cookies


@pytest.fixture(params=[False, True], ids=['wsgi', 'asgi'])
def resp(request: pytest.FixtureRequest) -> Any:
    return lanner.asgi.Response() if request.param else lanner.Response()


def _cookie_lines(resp: Any) -> list[str]:
    return [v for k, v in resp._wsgi_headers(None) if k == 'set-cookie']


def test_default_cookie_is_secure_and_http_only(resp: Any) -> None:
    resp.set_cookie('foo', 'bar')
    assert _cookie_lines(resp) == ['foo=bar; HttpOnly; Secure']


def test_all_attributes_in_stdlib_order(resp: Any) -> None:
    resp.set_cookie(
        'baz',
        'qux',
        expires=datetime(2030, 1, 2, 3, 4, 5),
        max_age=60,
        domain='example.com',
        path='/',
        secure=False,
        http_only=False,
        same_site='lax',
        partitioned=True,
    )
    assert _cookie_lines(resp) == [
        'baz=qux; Domain=example.com; expires=Wed, 02 Jan 2030 03:04:05 GMT; Max-Age=60; '
        'Partitioned; Path=/; SameSite=Lax'
    ]


def test_secure_by_default_follows_options() -> None:
    options = lanner.ResponseOptions()
    options.secure_cookies_by_default = False
    resp = lanner.Response(options)
    resp.set_cookie('a', '1')
    resp.set_cookie('b', '2', secure=True)
    assert _cookie_lines(resp) == ['a=1; HttpOnly', 'b=2; HttpOnly; Secure']


def test_expires_naive_is_utc_and_aware_is_converted(resp: Any) -> None:
    resp.set_cookie('naive', 'x', expires=datetime(2030, 6, 1, 12, 0, 0))
    aware = datetime(2030, 6, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    resp.set_cookie('aware', 'y', expires=aware)
    lines = _cookie_lines(resp)
    assert 'expires=Sat, 01 Jun 2030 12:00:00 GMT' in lines[0]
    assert 'expires=Sat, 01 Jun 2030 12:00:00 GMT' in lines[1]


def test_expires_must_be_a_datetime(resp: Any) -> None:
    with pytest.raises(TypeError, match='datetime'):
        resp.set_cookie('a', 'b', expires='tomorrow')


@pytest.mark.parametrize(('max_age', 'expected'), [(1.9, 'Max-Age=1'), ('300', 'Max-Age=300')])
def test_max_age_is_int_coerced(resp: Any, max_age: Any, expected: str) -> None:
    resp.set_cookie('a', 'b', max_age=max_age)
    assert expected in _cookie_lines(resp)[0]


@pytest.mark.parametrize('max_age', [0, None, ''])
def test_falsy_max_age_is_ignored(resp: Any, max_age: Any) -> None:
    resp.set_cookie('a', 'b', max_age=max_age)
    assert 'Max-Age' not in _cookie_lines(resp)[0]


@pytest.mark.parametrize(
    ('value', 'expected'),
    [('lax', 'Lax'), ('STRICT', 'Strict'), ('None', 'None'), ('nOnE', 'None')],
)
def test_same_site_normalised(resp: Any, value: str, expected: str) -> None:
    resp.set_cookie('a', 'b', same_site=value)
    assert f'SameSite={expected}' in _cookie_lines(resp)[0]


def test_same_site_empty_is_omitted_and_invalid_rejected(resp: Any) -> None:
    resp.set_cookie('a', 'b', same_site='')
    assert 'SameSite' not in _cookie_lines(resp)[0]
    with pytest.raises(ValueError, match='same_site'):
        resp.set_cookie('c', 'd', same_site='sometimes')
    with pytest.raises(ValueError):
        resp.set_cookie('c', 'd', same_site='Lax; Secure')


def test_partitioned_flag(resp: Any) -> None:
    resp.set_cookie('chip', 'v', partitioned=True, same_site='None')
    assert _cookie_lines(resp) == ['chip=v; HttpOnly; Partitioned; SameSite=None; Secure']


def test_value_is_quoted_by_stdlib(resp: Any) -> None:
    resp.set_cookie('spaces', 'a b;c')
    assert _cookie_lines(resp)[0].startswith('spaces="a b\\073c";')


@pytest.mark.parametrize('value', [42, b'bytes', None])
def test_value_must_be_a_str(resp: Any, value: Any) -> None:
    # As in Falcon: a ValueError, not a silently str()-ed value.
    with pytest.raises(ValueError, match='expected a str'):
        resp.set_cookie('n', value)


def test_non_ascii_name_is_key_error_and_value_is_value_error(resp: Any) -> None:
    with pytest.raises(KeyError):
        resp.set_cookie('nämé', 'x')
    with pytest.raises(ValueError, match='ASCII'):
        resp.set_cookie('name', 'välue')
    assert _cookie_lines(resp) == []


@pytest.mark.parametrize(
    'name', ['bad name', 'semi;colon', 'eq=uals', 'new\nline', 'path', 'Expires']
)
def test_invalid_cookie_names_are_key_errors(resp: Any, name: str) -> None:
    with pytest.raises(KeyError) as info:
        resp.set_cookie(name, 'x')
    assert repr(name) in str(info.value)


def test_values_cannot_inject_header_lines(resp: Any) -> None:
    resp.set_cookie('a', 'x\r\nSet-Cookie: evil=1')
    line = _cookie_lines(resp)[0]
    assert '\r' not in line and '\n' not in line
    assert line.startswith('a="x\\015\\012Set-Cookie: evil=1"')


@pytest.mark.parametrize('attr', ['domain', 'path'])
@pytest.mark.parametrize(
    'value', ['/; Secure=false', 'example.com\r\nX-Evil: 1', 'a\x00b', 'ünï.example']
)
def test_attribute_injection_is_rejected(resp: Any, attr: str, value: str) -> None:
    with pytest.raises(ValueError, match=f'cookie {attr}'):
        resp.set_cookie('a', 'b', **{attr: value})
    with pytest.raises(ValueError):
        resp.unset_cookie('a', **{attr: value})
    assert _cookie_lines(resp) == []


def test_repeated_set_cookie_updates_one_morsel_keeping_old_attributes(resp: Any) -> None:
    resp.set_cookie('foo', 'a', max_age=301, path='/x')
    resp.set_cookie('foo', 'b')
    assert _cookie_lines(resp) == ['foo=b; HttpOnly; Max-Age=301; Path=/x; Secure']


def test_unset_cookie(resp: Any) -> None:
    resp.unset_cookie('sid')
    (line,) = _cookie_lines(resp)
    assert line.startswith('sid=""; ')
    assert 'SameSite=Lax' in line
    expires = line.split('expires=')[1].split(';')[0]
    when = datetime.strptime(expires, '%a, %d %b %Y %H:%M:%S GMT').replace(tzinfo=timezone.utc)
    assert when < datetime.now(timezone.utc)
    # As in Falcon: one second before the moment the header is written, not a fixed 1970 date.
    assert when > datetime.now(timezone.utc) - timedelta(minutes=5)
    assert resp._cookies['sid']['expires'] == -1


def test_unset_cookie_domain_path_same_site(resp: Any) -> None:
    resp.unset_cookie('sid', domain='example.com', path='/app', same_site='strict')
    (line,) = _cookie_lines(resp)
    assert 'Domain=example.com' in line
    assert 'Path=/app' in line
    # Passed through as given (not case-normalised).
    assert 'SameSite=strict' in line


def test_unset_cookie_supersedes_set_cookie_and_keeps_old_max_age(resp: Any) -> None:
    resp.set_cookie('sid', 'abc', max_age=60)
    resp.unset_cookie('sid')
    lines = _cookie_lines(resp)
    assert len(lines) == 1
    assert lines[0].startswith('sid=""')
    assert 'Max-Age=60' in lines[0]


def test_unset_cookie_wins_over_raw_set_cookie_lines(resp: Any) -> None:
    resp.append_header('Set-Cookie', 'sid=raw')
    resp.unset_cookie('sid')
    lines = _cookie_lines(resp)
    assert lines[0] == 'sid=raw'
    assert lines[-1].startswith('sid=""')


def test_unset_cookie_deprecated_samesite(resp: Any) -> None:
    with pytest.warns(
        lanner.util.deprecation.DeprecatedWarning, match='The "samesite" parameter is deprecated'
    ):
        resp.unset_cookie('a', samesite='Strict')
    assert 'SameSite=Strict' in _cookie_lines(resp)[0]


def test_unset_cookie_empty_same_site_omits_it(resp: Any) -> None:
    resp.unset_cookie('a', same_site='')
    assert 'SameSite' not in _cookie_lines(resp)[0]


def test_http_cookies_module_knows_partitioned_without_patching_stdlib() -> None:
    jar = http_cookies.SimpleCookie()
    jar['c'] = 'v'
    jar['c']['partitioned'] = True
    assert jar['c'].OutputString() == 'c=v; Partitioned'
    assert lanner.http_cookies is http_cookies
    assert http_cookies.CookieError is http.cookies.CookieError
    if 'partitioned' not in http.cookies.Morsel._reserved:  # type: ignore[attr-defined]
        # The stdlib class was left alone.
        with pytest.raises(http.cookies.CookieError):
            http.cookies.Morsel()['partitioned'] = True
