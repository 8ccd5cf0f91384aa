"""lanner.util.misc: dates, statuses, query strings, file names, introspection."""

from __future__ import annotations

import datetime
import functools
import http
import re
from typing import Any

import pytest

from lanner.util import misc

UTC = datetime.timezone.utc


def test_reexported_from_lanner_and_util() -> None:
    import lanner.util

    for name in misc.__all__:
        assert getattr(lanner, name) is getattr(misc, name)
        assert getattr(lanner.util, name) is getattr(misc, name)


# Dates -----------------------------------------------------------------------------------------


def test_http_now_format_and_value() -> None:
    before = datetime.datetime.now(UTC).replace(microsecond=0)
    now = misc.http_now()
    after = datetime.datetime.now(UTC)
    assert re.fullmatch(r'[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT', now)
    parsed = misc.http_date_to_dt(now)
    assert before <= parsed <= after


def test_dt_to_http() -> None:
    assert misc.dt_to_http(datetime.datetime(1994, 11, 15, 12, 45, 26)) == (
        'Tue, 15 Nov 1994 12:45:26 GMT'
    )
    assert misc.dt_to_http(datetime.datetime(2001, 1, 1, 0, 0, 0, 999)) == (
        'Mon, 01 Jan 2001 00:00:00 GMT'
    )


def test_dt_to_http_never_converts_time_zones() -> None:
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    aware = datetime.datetime(2020, 2, 29, 23, 5, 9, tzinfo=plus_two)
    assert misc.dt_to_http(aware) == 'Sat, 29 Feb 2020 23:05:09 GMT'


def test_dt_to_http_uses_english_names_for_every_day_and_month() -> None:
    # Formatting does not go through strftime, so the process locale cannot change the names.
    days = [misc.dt_to_http(datetime.datetime(2024, 1, d))[:3] for d in range(1, 8)]
    assert days == ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
    months = [misc.dt_to_http(datetime.datetime(2024, m, 1))[8:11] for m in range(1, 13)]
    assert months == [
        'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'
    ]  # fmt: skip
    assert misc.dt_to_http(datetime.datetime(9, 1, 1)) == 'Thu, 01 Jan 0009 00:00:00 GMT'


def test_http_date_round_trip() -> None:
    dt = datetime.datetime(2013, 4, 5, 6, 7, 8, tzinfo=UTC)
    assert misc.http_date_to_dt(misc.dt_to_http(dt)) == dt


def test_http_date_to_dt_returns_aware_utc() -> None:
    parsed = misc.http_date_to_dt('Sun, 06 Nov 1994 08:49:37 GMT')
    assert parsed == datetime.datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert parsed.tzinfo is not None and parsed.utcoffset() == datetime.timedelta(0)


def test_http_date_to_dt_is_lenient_like_strptime() -> None:
    assert misc.http_date_to_dt('sun, 6 nov 1994 08:49:37 GMT') == datetime.datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=UTC
    )


@pytest.mark.parametrize(
    'value',
    [
        'Sunday, 06-Nov-94 08:49:37 GMT',
        'Sun Nov  6 08:49:37 1994',
        'Sun, 06-Nov-1994 08:49:37 GMT',
        'Sun, 06 Nov 1994 08:49:37 UTC',
    ],
)
def test_obsolete_formats_need_obs_date(value: str) -> None:
    with pytest.raises(ValueError):
        misc.http_date_to_dt(value)
    assert misc.http_date_to_dt(value, obs_date=True) == datetime.datetime(
        1994, 11, 6, 8, 49, 37, tzinfo=UTC
    )


def test_rfc850_two_digit_year_pivot() -> None:
    parsed = misc.http_date_to_dt('Thursday, 01-Jan-37 00:00:00 GMT', obs_date=True)
    assert parsed.year == 2037
    parsed = misc.http_date_to_dt('Friday, 01-Jan-70 00:00:00 GMT', obs_date=True)
    assert parsed.year == 1970


@pytest.mark.parametrize(
    'value',
    [
        '',
        'yesterday',
        'Sun, 06 Nov 1994 08:49:37',
        'Sun, 06 Nov 1994 08:49:37 PST',
        'Sun, 06 Foo 1994 08:49:37 GMT',
        'Sun, 31 Feb 1994 08:49:37 GMT',
        'Sun, 06 Nov 1994 25:49:37 GMT',
        'Sun, ٠٦ Nov 1994 08:49:37 GMT',
        'Sün, 06 Nov 1994 08:49:37 GMT',
        'Sun, 06 Nov 1994 08:49:37 GMT trailing',
    ],
)
@pytest.mark.parametrize('obs_date', [False, True])
def test_malformed_dates_raise_value_error(value: str, obs_date: bool) -> None:
    with pytest.raises(ValueError, match='not a valid HTTP date'):
        misc.http_date_to_dt(value, obs_date=obs_date)


def test_http_date_to_dt_non_str_raises_value_error() -> None:
    with pytest.raises(ValueError):
        misc.http_date_to_dt(None)  # type: ignore[arg-type]


# Status conversions ----------------------------------------------------------------------------


def test_code_to_http_status_rejects_forged_lines() -> None:
    # A status line reaches the wire verbatim: CR/LF would split the response.
    forged = (
        '200 OK\r\nSet-Cookie: a=b',
        '200 OK\n',
        '200 \x00',
        'anything with a space',
        '2000 x',
    )
    for bad in forged:
        with pytest.raises(ValueError, match='status line'):
            misc.code_to_http_status(bad)
    with pytest.raises(ValueError):
        misc.code_to_http_status(b'200 OK\r\nX: y')
    with pytest.raises(ValueError, match='Latin-1'):
        misc.code_to_http_status('200 \U0001f985')


def test_code_to_http_status_keeps_any_other_reason_phrase() -> None:
    # As in Falcon: tabs and Latin-1 text are legal in a reason phrase (RFC 9110 obs-text).
    for line in ('200 Ça va', '299 Tab\there', '702 Emacs!'):
        assert misc.code_to_http_status(line) == line


@pytest.mark.parametrize(
    ('status', 'line'),
    [
        (200, '200 OK'),
        ('404', '404 Not Found'),
        (b'404', '404 Not Found'),
        (418, "418 I'm a teapot"),
        (http.HTTPStatus.IM_A_TEAPOT, "418 I'm a Teapot"),
        (http.HTTPStatus.OK, '200 OK'),
        (703, '703 Explosion'),
        (299, '299 Unknown'),
        (999, '999 Unknown'),
        ('200 Fine', '200 Fine'),
        (b'201 Made', '201 Made'),
    ],
)
def test_code_to_http_status(status: Any, line: str) -> None:
    assert misc.code_to_http_status(status) == line


def test_code_to_http_status_cache_distinguishes_types() -> None:
    assert misc.code_to_http_status(418) == "418 I'm a teapot"
    assert misc.code_to_http_status(http.HTTPStatus.IM_A_TEAPOT) == "418 I'm a Teapot"
    assert misc.code_to_http_status(418) == "418 I'm a teapot"


@pytest.mark.parametrize('status', [99, 1000, -1, '12', 'OK', b'x', '', 3.5, None])
def test_code_to_http_status_rejects_bad_values(status: Any) -> None:
    with pytest.raises(ValueError):
        misc.code_to_http_status(status)


@pytest.mark.parametrize(
    ('status', 'code'),
    [
        ('404 Not Found', 404),
        ('404', 404),
        (b'503 Service Unavailable', 503),
        (http.HTTPStatus.CREATED, 201),
        (200, 200),
        (1234, 1234),
        ('701 Meh', 701),
    ],
)
def test_http_status_to_code(status: Any, code: int) -> None:
    assert misc.http_status_to_code(status) == code


@pytest.mark.parametrize('status', ['', '20', 'OK', ' 20', '2x0 Weird', b'', 2.0, None, ['200']])
def test_http_status_to_code_rejects_bad_values(status: Any) -> None:
    with pytest.raises(ValueError):
        misc.http_status_to_code(status)


# to_query_str ----------------------------------------------------------------------------------


def test_to_query_str_spec_example() -> None:
    params = {'a': [1, 2], 'b': True, 'c': 'x y'}
    assert misc.to_query_str(params) == '?a=1,2&b=true&c=x%20y'


def test_to_query_str_empty() -> None:
    assert misc.to_query_str({}) == ''
    assert misc.to_query_str(None) == ''


def test_to_query_str_without_prefix_and_false() -> None:
    assert misc.to_query_str({'flag': False, 'n': 0}, prefix=False) == 'flag=false&n=0'


def test_to_query_str_encodes_names_and_values() -> None:
    assert misc.to_query_str({'a b': 'c&d', 'é': '/'}) == '?a%20b=c%26d&%C3%A9=%2F'


def test_to_query_str_lists() -> None:
    params = {'x': ['a,b', True, 'c d'], 'y': ()}
    assert misc.to_query_str(params) == '?x=a%2Cb,True,c%20d&y='
    assert misc.to_query_str({'x': ['a', True, False]}, comma_delimited_lists=False) == (
        '?x=a&x=true&x=false'
    )
    assert misc.to_query_str({'x': []}, comma_delimited_lists=False) == '?'


# secure_filename -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('name', 'safe'),
    [
        ('report.pdf', 'report.pdf'),
        ('Ångström unit physics.pdf', 'A_ngstro_m_unit_physics.pdf'),
        ('../../etc/passwd', '_._.._etc_passwd'),
        ('.bashrc', '_bashrc'),
        ('a\x00b\r\n.txt', 'a_b__.txt'),
        ('日本.txt', '__.txt'),
        ('ﬁle.txt', 'file.txt'),
    ],
)
def test_secure_filename(name: str, safe: str) -> None:
    assert misc.secure_filename(name) == safe


def test_secure_filename_empty_raises() -> None:
    with pytest.raises(ValueError, match='empty'):
        misc.secure_filename('')


def test_secure_filename_max_length() -> None:
    assert misc.secure_filename('abcdefgh.txt', max_length=8) == 'abcd.txt'
    assert misc.secure_filename('abcdefgh.txt', max_length=5) == 'a.txt'
    # The stem would be empty: cut the whole name instead.
    assert misc.secure_filename('abcdefgh.txt', max_length=4) == 'abcd'
    assert misc.secure_filename('abcdefgh', max_length=3) == 'abc'
    assert misc.secure_filename('short.txt', max_length=100) == 'short.txt'
    # 0 and None mean no limit.
    assert misc.secure_filename('abcdefgh.txt', max_length=0) == 'abcdefgh.txt'
    assert misc.secure_filename('abcdefgh.txt', max_length=None) == 'abcdefgh.txt'


def test_secure_filename_negative_max_length_raises_only_when_truncating() -> None:
    with pytest.raises(ValueError, match='max_length'):
        misc.secure_filename('abcdefgh.txt', max_length=-1)


def test_secure_filename_windows_reserved_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # The platform is read per call, so patching os.name is enough.
    monkeypatch.setattr(misc.os, 'name', 'nt')
    assert misc.secure_filename('CON') == '_CON'
    assert misc.secure_filename('nul.txt') == '_nul.txt'
    assert misc.secure_filename('COM1.tar.gz') == '_COM1.tar.gz'
    assert misc.secure_filename('CONSOLE.txt') == 'CONSOLE.txt'
    # The prefix counts toward max_length; the extension is kept.
    assert misc.secure_filename('con.txt', 7) == '_co.txt'
    monkeypatch.setattr(misc.os, 'name', 'posix')
    assert misc.secure_filename('CON') == 'CON'


# Introspection ---------------------------------------------------------------------------------


class Thing:
    label = 'not callable'

    def method(self) -> str:
        return 'bound'

    @staticmethod
    def static() -> None:
        pass


def test_get_bound_method() -> None:
    thing = Thing()
    method = misc.get_bound_method(thing, 'method')
    assert method is not None and method() == 'bound'
    assert misc.get_bound_method(thing, 'missing') is None


@pytest.mark.parametrize(
    ('obj', 'name'), [(Thing, 'method'), (Thing(), 'label'), (Thing(), 'static')]
)
def test_get_bound_method_rejects_unbound_attributes(obj: Any, name: str) -> None:
    with pytest.raises(AttributeError, match='not a bound method'):
        misc.get_bound_method(obj, name)


def test_get_argnames() -> None:
    def func(a: int, b: int = 1, *args: Any, c: int, **kwargs: Any) -> None:
        pass

    class Responder:
        def on_get(self, req: Any, resp: Any, item_id: str) -> None:
            pass

        def __call__(self, req: Any, resp: Any) -> None:
            pass

    assert misc.get_argnames(func) == ['a', 'b', 'c']
    assert misc.get_argnames(Responder.on_get) == ['req', 'resp', 'item_id']
    assert misc.get_argnames(Responder().on_get) == ['req', 'resp', 'item_id']
    assert misc.get_argnames(Responder()) == ['req', 'resp']
    assert misc.get_argnames(functools.partial(func, 1)) == ['b', 'c']


def test_is_python_func() -> None:
    def func() -> None:
        pass

    assert misc.is_python_func(func)
    assert misc.is_python_func(Thing().method)
    assert misc.is_python_func(lambda: None)
    assert not misc.is_python_func(len)
    assert not misc.is_python_func([].append)
    assert not misc.is_python_func(Thing)
    assert not misc.is_python_func(functools.partial(func))


def test_utcnow_private_alias_is_aware_utc() -> None:
    # Falcon's private helper, provided because ported code imports it from this module.
    before = datetime.datetime.now(datetime.timezone.utc)
    now = misc._utcnow()
    assert now.tzinfo is datetime.timezone.utc
    assert before <= now <= datetime.datetime.now(datetime.timezone.utc)


def test_has_arg_name_private_helper() -> None:
    class Unhashable(list[int]):
        def __call__(self, a: int, ws: int) -> None: ...

    def handler(req: object, resp: object, ex: object, params: object) -> None: ...

    assert misc._has_arg_name(handler, 'params')
    assert not misc._has_arg_name(handler, 'ws')
    assert misc._has_arg_name(Unhashable(), 'ws')


def test_isascii_is_a_deprecated_alias() -> None:
    from lanner.util.deprecation import DeprecatedWarning

    with pytest.warns(DeprecatedWarning, match=r'str\.isascii\(\)'):
        assert misc.isascii('plain')
    with pytest.warns(DeprecatedWarning):
        assert not misc.isascii('caf\u00e9')
