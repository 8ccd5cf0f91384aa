"""Response status, header methods, typed header properties and injection safety."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
import http
from typing import Any

import pytest

import lanner
from lanner import errors
import lanner.asgi
from lanner.response_helpers import InvalidHeaderError


@pytest.fixture(params=[False, True], ids=['wsgi', 'asgi'])
def resp(request: pytest.FixtureRequest) -> Any:
    return lanner.asgi.Response() if request.param else lanner.Response()


# -- status ------------------------------------------------------------------------------------


def test_status_default_and_forms(resp: Any) -> None:
    assert resp.status == '200 OK'
    assert resp.status_code == 200
    resp.status = '201 Created'
    assert resp.status_code == 201
    resp.status = 404
    assert resp.status_code == 404
    resp.status = http.HTTPStatus.IM_A_TEAPOT
    assert resp.status_code == 418
    resp.status = '299 Custom Phrase'
    assert resp.status_code == 299
    resp.status_code = 204
    assert resp.status == 204
    assert resp.status_code == 204


def test_repr(resp: Any) -> None:
    resp.status = 404
    assert repr(resp) == f'<{type(resp).__name__}: 404 Not Found>'


def test_defaults(resp: Any) -> None:
    assert resp.text is None
    assert resp.data is None
    assert resp.media is None
    assert resp.stream is None
    assert resp.complete is False
    assert isinstance(resp.context, lanner.Context)
    assert isinstance(resp.options, lanner.ResponseOptions)
    assert resp.headers == {}
    resp.arbitrary = 'allowed'  # Response keeps __dict__.
    assert resp.arbitrary == 'allowed'


def test_removed_attributes(resp: Any) -> None:
    with pytest.raises(AttributeError, match=r'resp\.text'):
        resp.body  # noqa: B018
    with pytest.raises(AttributeError):
        resp.body = 'x'
    with pytest.raises(AttributeError, match='append_link'):
        resp.add_link  # noqa: B018


def test_response_options_defaults() -> None:
    options = lanner.ResponseOptions()
    assert options.secure_cookies_by_default is True
    assert options.default_media_type == 'application/json'
    assert options.xml_error_serialization is True
    assert options.sse_keepalive_interval == 15.0
    assert 'application/json' in options.media_handlers
    types = options.static_media_types
    assert types['.json'] == 'application/json'
    assert types['.html'] == 'text/html'
    assert types['.parquet'] == 'application/vnd.apache.parquet'
    assert types['.yml'] == 'application/yaml'
    with pytest.raises(AttributeError):
        options.unknown = 1  # type: ignore[attr-defined]


def test_static_media_types_read_the_module_mimetypes(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import lanner.response

    assert lanner.response.mimetypes.guess_type  # the stdlib module, imported on first use
    fake = types.SimpleNamespace(inited=True, types_map={'.xyz': 'application/x-xyz'})
    monkeypatch.setattr('lanner.response.mimetypes', fake)
    media_types = lanner.ResponseOptions().static_media_types
    assert media_types['.xyz'] == 'application/x-xyz'
    assert media_types['.json'] == 'application/json'  # lanner's overlay still applies


def test_set_media_type_only_fills_a_missing_content_type(resp: Any) -> None:
    resp._set_media_type()
    assert 'content-type' not in resp._headers
    resp._set_media_type('text/plain')
    resp._set_media_type('application/json')
    assert resp._headers['content-type'] == 'text/plain'


def test_context_type_function() -> None:
    class MyResponse(lanner.Response):
        def context_type(self) -> dict[str, Any]:  # type: ignore[override]
            return {'resp': self}

    resp = MyResponse()
    assert resp.context == {'resp': resp}


# -- header methods ----------------------------------------------------------------------------


def test_set_get_delete_are_case_insensitive(resp: Any) -> None:
    resp.set_header('X-Custom', 'one')
    assert resp.get_header('x-custom') == 'one'
    assert resp.get_header('X-CUSTOM') == 'one'
    resp.set_header('x-CUSTOM', 2)
    assert resp.headers == {'x-custom': '2'}
    resp.delete_header('X-Custom')
    assert resp.get_header('x-custom') is None
    assert resp.get_header('x-custom', 'dflt') == 'dflt'
    resp.delete_header('X-Never-Set')


def test_append_header(resp: Any) -> None:
    resp.append_header('Vary', 'Accept')
    resp.append_header('vary', 'Accept-Encoding')
    assert resp.get_header('Vary') == 'Accept, Accept-Encoding'


def test_headers_property_is_a_copy(resp: Any) -> None:
    resp.set_header('A', '1')
    copy = resp.headers
    copy['b'] = '2'
    assert resp.headers == {'a': '1'}


@pytest.mark.parametrize('name', ['Set-Cookie', 'set-cookie', 'SET-COOKIE'])
def test_set_cookie_header_not_supported(resp: Any, name: str) -> None:
    for call in (
        lambda: resp.set_header(name, 'a=b'),
        lambda: resp.get_header(name),
        lambda: resp.delete_header(name),
        lambda: resp.set_headers({name: 'a=b'}),
    ):
        with pytest.raises(errors.HeaderNotSupported):
            call()
    assert issubclass(errors.HeaderNotSupported, ValueError)


def test_append_set_cookie_adds_raw_lines_before_cookies(resp: Any) -> None:
    resp.append_header('Set-Cookie', 'raw=1')
    resp.set_cookie('managed', 'x')
    resp.append_header('Set-Cookie', 'raw=2; Path=/')
    headers = resp._wsgi_headers(None)
    assert [v for k, v in headers if k == 'set-cookie'] == [
        'raw=1',
        'raw=2; Path=/',
        'managed=x; HttpOnly; Secure',
    ]
    assert 'set-cookie' not in resp.headers


class _Mapping:
    def __init__(self, data: dict[str, str]) -> None:
        self._data = data

    def items(self) -> Any:
        return self._data.items()


class _PairsWithItemsAttr:
    items = 'not callable'

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter([('X-Pair', 'p')])


def test_set_headers_forms(resp: Any) -> None:
    resp.set_headers({'A': '1', 'B': 2})
    resp.set_headers([('C', '3'), ('a', 'override')])
    resp.set_headers(_Mapping({'D': '4'}))
    resp.set_headers(_PairsWithItemsAttr())
    assert resp.headers == {'a': 'override', 'b': '2', 'c': '3', 'd': '4', 'x-pair': 'p'}


# -- injection safety --------------------------------------------------------------------------


@pytest.mark.parametrize(
    'value', ['a\r\nX-Injected: 1', 'a\nb', 'a\rb', 'nul\x00', 'bell\x07', 'del\x7f']
)
def test_control_characters_in_values_are_rejected(resp: Any, value: str) -> None:
    with pytest.raises(InvalidHeaderError, match='control character'):
        resp.set_header('X-Test', value)
    with pytest.raises(InvalidHeaderError):
        resp.append_header('X-Test', value)
    with pytest.raises(InvalidHeaderError):
        resp.append_header('Set-Cookie', value)
    with pytest.raises(InvalidHeaderError):
        resp.content_type = value
    with pytest.raises(InvalidHeaderError):
        resp.set_headers({'X-Test': value})
    assert resp.headers == {}
    assert resp._wsgi_headers(None) == []


@pytest.mark.parametrize('value', ['a\r\nX-Injected: 1', 'nul\x00', 'del\x7f'])
def test_names_used_before_still_validate_every_value(resp: Any, value: str) -> None:
    # set_header/append_header remember validated names (a fast path); values are checked
    # every time, and Set-Cookie is never taken for a plain name.
    for _ in range(2):
        resp.set_header('X-Seen', 'ok')
        resp.append_header('X-Seen-Too', 'ok')
        resp.content_type = 'text/plain'
        with pytest.raises(InvalidHeaderError, match='control character'):
            resp.set_header('X-Seen', value)
        with pytest.raises(InvalidHeaderError):
            resp.append_header('X-Seen-Too', value)
        with pytest.raises(InvalidHeaderError):
            resp.content_type = value
        resp.append_header('Set-Cookie', 'a=b')
        with pytest.raises(errors.HeaderNotSupported):
            resp.set_header('Set-Cookie', 'a=b')
    resp.set_header('X-Seen', 'café')  # latin-1, not ASCII: the full check accepts it
    assert resp.get_header('x-seen') == 'café'
    assert resp.get_header('x-seen-too') == 'ok, ok'
    with pytest.raises(TypeError):
        resp.set_header(['X-Seen'], 'v')


def test_asgi_header_pairs_are_encoded_once_and_stay_correct() -> None:
    for value in ('v1', 'v2', 'v1', 'caf\xe9'):
        resp = lanner.asgi.Response()
        resp.set_header('X-Pair', value)
        assert resp._asgi_headers('text/plain') == [
            (b'x-pair', value.encode('latin-1')),
            (b'content-type', b'text/plain'),
        ]


def test_tab_is_allowed_in_values(resp: Any) -> None:
    resp.set_header('X-Tab', 'a\tb')
    assert resp.get_header('X-Tab') == 'a\tb'


@pytest.mark.parametrize(
    'name', ['', 'X Space', 'X:Colon', 'X\r\nInjected', 'Ünïcode', 'X(paren)', 'X\x00']
)
def test_invalid_header_names_are_rejected(resp: Any, name: str) -> None:
    with pytest.raises(InvalidHeaderError, match='Invalid header name'):
        resp.set_header(name, 'v')
    with pytest.raises(InvalidHeaderError):
        resp.append_header(name, 'v')
    assert resp.headers == {}


def test_invalid_header_error_is_value_error() -> None:
    assert issubclass(InvalidHeaderError, ValueError)


def test_non_string_header_name_is_type_error(resp: Any) -> None:
    with pytest.raises(TypeError):
        resp.set_header(42, 'v')


def test_location_and_content_location_are_uri_encoded(resp: Any) -> None:
    resp.location = '/redirect?next=a b\r\nSet-Cookie: x=y'
    assert '\r' not in resp.location and '\n' not in resp.location
    assert resp.location == '/redirect?next=a%20b%0D%0ASet-Cookie:%20x=y'
    resp.content_location = '/ünï/path%20ok'
    assert resp.content_location == '/%C3%BCn%C3%AF/path%2520ok'
    resp.location = '/already%20escaped'
    assert resp.location == '/already%20escaped'


def test_downloadable_as_cannot_inject(resp: Any) -> None:
    resp.downloadable_as = 'evil\r\nSet-Cookie: a=b.txt'
    value = resp.get_header('Content-Disposition')
    assert '\r' not in value and '\n' not in value
    assert value.startswith('attachment; filename=')
    assert "filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20a%3Db.txt" in value


# -- typed header properties -------------------------------------------------------------------


def test_cache_control_and_vary(resp: Any) -> None:
    resp.cache_control = ['public', 'max-age=60']
    assert resp.cache_control == 'public, max-age=60'
    resp.cache_control = 'no-store'
    assert resp.cache_control == 'no-store'
    resp.vary = ['*']
    assert resp.vary == '*'
    resp.vary = ('Accept', 'Accept-Encoding')
    assert resp.get_header('vary') == 'Accept, Accept-Encoding'


def test_content_range(resp: Any) -> None:
    resp.content_range = (0, 99, 1000)
    assert resp.content_range == 'bytes 0-99/1000'
    resp.content_range = (0, 9, '*', 'items')
    assert resp.content_range == 'items 0-9/*'
    with pytest.raises(ValueError):
        resp.content_range = (1, 2)


def test_etag(resp: Any) -> None:
    resp.etag = 'abc'
    assert resp.etag == '"abc"'
    resp.etag = 'W/"weak"'
    assert resp.etag == 'W/"weak"'
    resp.etag = '"quoted"'
    assert resp.etag == '"quoted"'


def test_dates(resp: Any) -> None:
    when = datetime(2013, 4, 5, 6, 7, 8)
    resp.expires = when
    resp.last_modified = when
    assert resp.expires == 'Fri, 05 Apr 2013 06:07:08 GMT'
    assert resp.last_modified == 'Fri, 05 Apr 2013 06:07:08 GMT'


def test_simple_string_properties(resp: Any) -> None:
    resp.retry_after = 120
    resp.accept_ranges = 'bytes'
    resp.content_length = 42
    resp.content_type = 'text/plain'
    assert resp.retry_after == '120'
    assert resp.accept_ranges == 'bytes'
    assert resp.content_length == '42'
    assert resp.content_type == 'text/plain'


def test_downloadable_and_viewable_as(resp: Any) -> None:
    resp.downloadable_as = 'report.pdf'
    assert resp.get_header('content-disposition') == 'attachment; filename="report.pdf"'
    resp.viewable_as = 'Ångström unit physics.pdf'
    assert resp.viewable_as == (
        'inline; filename=A_ngstro_m_unit_physics.pdf; '
        "filename*=UTF-8''%C3%85ngstr%C3%B6m%20unit%20physics.pdf"
    )
    resp.downloadable_as = 'we "quote".txt'
    assert resp.downloadable_as == 'attachment; filename="we \\"quote\\".txt"'


@pytest.mark.parametrize(
    'prop',
    [
        'cache_control',
        'content_location',
        'content_range',
        'etag',
        'expires',
        'last_modified',
        'location',
        'retry_after',
        'vary',
        'accept_ranges',
        'content_type',
        'content_length',
        'downloadable_as',
        'viewable_as',
    ],
)
def test_properties_none_and_del(resp: Any, prop: str) -> None:
    assert getattr(resp, prop) is None
    samples = {
        'cache_control': ['no-cache'],
        'content_range': (0, 1, 2),
        'expires': datetime(2020, 1, 1),
        'last_modified': datetime(2020, 1, 1),
        'vary': ['Accept'],
    }
    setattr(resp, prop, samples.get(prop, 'value'))
    assert getattr(resp, prop) is not None
    setattr(resp, prop, None)
    assert getattr(resp, prop) is None
    setattr(resp, prop, samples.get(prop, 'value'))
    delattr(resp, prop)
    assert getattr(resp, prop) is None
    with pytest.raises(KeyError):
        delattr(resp, prop)


# -- append_link -------------------------------------------------------------------------------


def test_append_link_basic_and_accumulating(resp: Any) -> None:
    resp.append_link('/things/2', 'next')
    resp.append_link('/things/0', 'prev')
    assert resp.get_header('link') == '</things/2>; rel=next, </things/0>; rel=prev'


def test_append_link_parameters(resp: Any) -> None:
    resp.append_link(
        '/a b',
        'alternate',
        title='The "title"',
        title_star=('en', 'Ünïcode title'),
        anchor='/anchor here',
        hreflang=['en', 'de'],
        type_hint='text/html',
        crossorigin='Anonymous',
        link_extension=[('foo', 'bar'), ('baz', '"q"')],
    )
    assert resp.get_header('link') == (
        '</a%20b>; rel=alternate; title="The \\"title\\""; '
        'title*=UTF-8\'en\'%C3%9Cn%C3%AFcode%20title; type="text/html"; '
        'hreflang=en; hreflang=de; anchor="/anchor%20here"; crossorigin; foo=bar; baz="q"'
    )


def test_append_link_extension_relations_and_crossorigin(resp: Any) -> None:
    resp.append_link('/x', 'http://example.com/rel/ä', crossorigin='USE-CREDENTIALS')
    resp.append_link('/y', 'next http://ex.com/r', hreflang='fr')
    assert resp.get_header('link') == (
        '</x>; rel="http://example.com/rel/%C3%A4"; crossorigin="use-credentials", '
        '</y>; rel="next http://ex.com/r"; hreflang=fr'
    )
    with pytest.raises(ValueError, match='crossorigin'):
        resp.append_link('/z', 'next', crossorigin='sometimes')


def test_append_link_escaped_target_preserved(resp: Any) -> None:
    resp.append_link('/a%20b', 'self')
    assert resp.get_header('link') == '</a%20b>; rel=self'


def test_append_link_cannot_inject(resp: Any) -> None:
    with pytest.raises(InvalidHeaderError):
        resp.append_link('/x', 'next', title='a\r\nX-Evil: 1')
    resp.append_link('/x\r\nX-Evil: 1', 'next')
    assert '\r' not in resp.get_header('link')


def test_sse_keepalive_interval_validated_on_assignment() -> None:
    options = lanner.ResponseOptions()
    options.sse_keepalive_interval = 2
    assert options.sse_keepalive_interval == 2.0
    options.sse_keepalive_interval = None
    assert options.sse_keepalive_interval is None
    with pytest.raises(ValueError):
        options.sse_keepalive_interval = 0
    with pytest.raises(TypeError):
        options.sse_keepalive_interval = '15'  # type: ignore[assignment]
    assert options.sse_keepalive_interval is None
