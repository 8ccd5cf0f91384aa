"""Values refused because they are unsafe on the wire: ``lanner.UnsafeValueError`` becomes a 400.

A value that would reach the response as a header, a cookie, a ``Location`` or an SSE field and
carries CR, LF, NUL or other control characters (or, in a header, characters outside Latin-1) is
refused where it is set. Such values nearly always come from the request, so both Apps answer
400 with a body that does not echo the value, and log one warning line on the ``lanner`` logger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import logging
from typing import Any

import pytest
from support.harness import Client, build_scope, call_asgi_async, resource

import lanner
from lanner.http_status import HTTPStatus
from lanner.response import InvalidCookieNameError
from lanner.response_helpers import InvalidHeaderError, validate_header_value

CRLF = 'x\r\nX-Injected: 1'
NON_LATIN_1 = 'x\u0100y'
TITLE = 'Unsafe value refused'


def _raise(error: BaseException) -> None:
    raise error


# Each operation writes ``v`` through one API that must refuse it.
REFUSING: dict[str, tuple[Callable[[Any, str], None], str]] = {
    'set_header CR/LF': (lambda resp, v: resp.set_header('X-Echo', v), CRLF),
    'set_header non-Latin-1': (lambda resp, v: resp.set_header('X-Echo', v), NON_LATIN_1),
    'set_header name': (lambda resp, v: resp.set_header(v, 'x'), CRLF),
    'append_header NUL': (lambda resp, v: resp.append_header('X-Echo', v), 'a\x00b'),
    'header property non-Latin-1': (lambda resp, v: setattr(resp, 'etag', v), NON_LATIN_1),
    'set_cookie non-ASCII value': (lambda resp, v: resp.set_cookie('c', v), 'caf\u00e9'),
    'set_cookie name': (lambda resp, v: resp.set_cookie(v, 'x'), CRLF),
    'set_cookie domain': (lambda resp, v: resp.set_cookie('c', 'x', domain=v), 'a;b'),
    'unset_cookie same_site': (lambda resp, v: resp.unset_cookie('c', same_site=v), CRLF),
    'set_cookie same_site CR/LF': (lambda resp, v: resp.set_cookie('c', 'x', same_site=v), CRLF),
    # Not an injection, but a SameSite value the app took from the request is still refused
    # with a 400 rather than a 500.
    'set_cookie same_site unknown': (
        lambda resp, v: resp.set_cookie('c', 'x', same_site=v),
        'sometimes',
    ),
    'redirect CR/LF': (lambda resp, v: _raise(lanner.HTTPFound(v)), CRLF),
    'redirect non-Latin-1': (lambda resp, v: _raise(lanner.HTTPSeeOther(v)), NON_LATIN_1),
    # Refused while the default HTTPError/HTTPStatus handler applies the headers.
    'HTTPError headers': (
        lambda resp, v: _raise(lanner.HTTPForbidden(headers={'X-Err': v})),
        CRLF,
    ),
    'HTTPStatus headers': (lambda resp, v: _raise(HTTPStatus(202, headers={'X-Err': v})), CRLF),
    'HTTPUnauthorized challenge': (
        lambda resp, v: _raise(lanner.HTTPUnauthorized(challenges=[v])),
        NON_LATIN_1,
    ),
    'raised directly': (lambda resp, v: _raise(lanner.UnsafeValueError(f'refused {v!r}')), CRLF),
}


def _echo_app(make_app: Callable[..., Any], asgi: bool, operation: str) -> Any:
    apply = REFUSING[operation][0]

    def on_get(req: Any, resp: Any) -> None:
        resp.set_header('X-Before', 'kept')
        apply(resp, req.get_param('v'))
        resp.text = 'the value was accepted'

    app = make_app()
    app.add_route('/r', resource(asgi, on_get=on_get))
    return app


@pytest.mark.parametrize('operation', list(REFUSING))
def test_refused_value_is_a_logged_400(
    make_app: Callable[..., Any], asgi: bool, operation: str, caplog: pytest.LogCaptureFixture
) -> None:
    from urllib.parse import quote

    app = _echo_app(make_app, asgi, operation)
    value = REFUSING[operation][1]
    with caplog.at_level(logging.DEBUG, logger='lanner'):
        result = Client(app).get('/r', query_string=f'v={quote(value, safe="")}')
    assert result.status_code == 400, result
    assert result.json['title'] == TITLE
    assert 'header' in result.json['description']
    # Nothing of the value comes back: not in the body, not in a header, not as a cookie.
    assert 'Injected' not in result.text and '\u0100' not in result.text
    assert 'x-injected' not in result.headers and 'x-err' not in result.headers
    assert result.header_values('set-cookie') == []
    records = [r for r in caplog.records if r.name == 'lanner']
    assert [r.levelno for r in records] == [logging.WARNING], caplog.text
    assert records[0].getMessage().startswith('Refused an unsafe value (GET /r): ')


def test_refusal_log_line_is_bounded(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    def on_get(req: Any, resp: Any) -> None:
        raise lanner.UnsafeValueError('refused ' + 'a' * 10_000)

    app = make_app()
    app.add_route('/r', resource(asgi, on_get=on_get))
    with caplog.at_level(logging.WARNING, logger='lanner'):
        assert Client(app).get('/r').status_code == 400
    (record,) = caplog.records
    assert 300 < len(record.getMessage()) < 400


def test_a_handler_registered_for_it_wins(make_app: Callable[..., Any], asgi: bool) -> None:
    app = _echo_app(make_app, asgi, 'set_header CR/LF')

    def teapot(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.status = 418
        resp.text = type(ex).__name__

    async def async_teapot(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        teapot(req, resp, ex, params)

    app.add_error_handler(lanner.UnsafeValueError, async_teapot if asgi else teapot)
    result = Client(app).get('/r', query_string='v=a%0Db')
    assert result.status_code == 418
    assert result.text == 'InvalidHeaderError'


def test_a_key_error_handler_still_sees_invalid_cookie_names(
    make_app: Callable[..., Any], asgi: bool
) -> None:
    # Falcon's contract: an invalid cookie name is a KeyError, and a KeyError handler gets it.
    app = _echo_app(make_app, asgi, 'set_cookie name')

    def handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.status = 422
        resp.text = 'key error'

    async def async_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        handler(req, resp, ex, params)

    app.add_error_handler(KeyError, async_handler if asgi else handler)
    assert Client(app).get('/r', query_string='v=a%0Db').status_code == 422


def test_a_value_error_handler_sees_them_as_in_falcon(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # The 400 comes from the default Exception handler, so a ValueError handler is nearer in
    # the MRO and gets the refusal first, like any other ValueError.
    app = _echo_app(make_app, asgi, 'set_header CR/LF')
    seen: list[str] = []

    def handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        seen.append(type(ex).__name__)
        resp.status = 422
        resp.text = 'value error'

    async def async_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        handler(req, resp, ex, params)

    app.add_error_handler(ValueError, async_handler if asgi else handler)
    with caplog.at_level(logging.DEBUG, logger='lanner'):
        result = Client(app).get('/r', query_string='v=a%0Db')
    assert (result.status_code, result.text) == (422, 'value error')
    assert seen == ['InvalidHeaderError']
    assert not [r for r in caplog.records if r.name == 'lanner']  # the default did not run


def test_the_400_comes_from_the_exception_handler(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = _echo_app(make_app, asgi, 'raised directly')
    # No handler of its own: only Falcon's three defaults are registered.
    assert lanner.UnsafeValueError not in app._error_handlers
    assert app._find_error_handler(lanner.UnsafeValueError('x')) is app._error_handlers[Exception]

    # A user handler for Exception replaces the default, so it gets the refusal too.
    def handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.status = 503
        resp.text = type(ex).__name__

    async def async_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        handler(req, resp, ex, params)

    assert Client(app).get('/r', query_string='v=x').status_code == 400
    app.add_error_handler(Exception, async_handler if asgi else handler)
    result = Client(app).get('/r', query_string='v=x')
    assert (result.status_code, result.text) == (503, 'UnsafeValueError')


def test_the_classes() -> None:
    assert lanner.UnsafeValueError is lanner.errors.UnsafeValueError
    assert issubclass(lanner.UnsafeValueError, ValueError)
    assert issubclass(InvalidHeaderError, lanner.UnsafeValueError)
    assert issubclass(InvalidCookieNameError, KeyError)
    assert issubclass(InvalidCookieNameError, lanner.UnsafeValueError)
    # The refusals keep their documented types.
    resp = lanner.Response()
    with pytest.raises(ValueError, match='must be ASCII'):
        resp.set_cookie('c', '\u00e9')
    with pytest.raises(KeyError):
        resp.set_cookie('n\u00e4me', 'x')
    with pytest.raises(ValueError, match='CR, LF or NUL'):
        lanner.HTTPFound('/a\nb')


@pytest.mark.parametrize(
    'value',
    ['plain', 'tab\tinside', 'M\u00fcnchen', 'nbsp\u00a0and \u00ff', '', 'x' * 1000],
)
def test_header_values_that_can_be_sent_pass(value: str) -> None:
    assert validate_header_value('X-Ok', value) is value


@pytest.mark.parametrize(
    ('value', 'found'),
    [
        ('x\u0100y', 'U+0100 at position 1'),
        ('snow \u2603', 'U+2603 at position 5'),
        ('\u00e9\U0001f600', 'U+1F600 at position 1'),
        ('a\rb', "'\\r' at position 1"),
        ('\u00e9\nb', "'\\n' at position 1"),
        ('a\x7f', "'\\x7f' at position 1"),
    ],
)
def test_header_values_that_cannot_be_sent_are_refused(value: str, found: str) -> None:
    with pytest.raises(InvalidHeaderError) as info:
        validate_header_value('X-Bad', value)
    message = str(info.value)
    assert "header 'X-Bad'" in message and found in message


# ---------------------------------------------------------------------------------------------
# SSE: a field refused while the stream runs ends it cleanly (core only sees serialize()).


class _Event:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def serialize(self, handler: Any = None) -> bytes:
        return b'data: ' + self.data + b'\n\n'


class _RefusedEvent:
    def serialize(self, handler: Any = None) -> bytes:
        raise lanner.UnsafeValueError('SSEvent event_id must not contain a line break')


def _sse_app(make_app: Callable[..., Any], asgi: bool, where: str, closed: list[str]) -> Any:
    def events() -> Iterator[Any]:
        try:
            yield _Event(b'first')
            if where == 'emitter':
                raise lanner.UnsafeValueError('SSEvent event must not contain a line break')
            yield _RefusedEvent()
            yield _Event(b'never')
        finally:
            closed.append('closed')

    async def async_events() -> Any:
        for event in events():
            yield event

    def on_get(req: Any, resp: Any) -> None:
        resp.sse = async_events() if asgi else events()

    app = make_app()
    app.add_route('/events', resource(asgi, on_get=on_get))
    return app


@pytest.mark.parametrize('where', ['emitter', 'serialize'])
def test_sse_value_refused_mid_stream_ends_the_stream_cleanly(
    make_app: Callable[..., Any], asgi: bool, where: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed: list[str] = []
    app = _sse_app(make_app, asgi, where, closed)
    sent: list[dict[str, Any]] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def record(message: dict[str, Any]) -> None:
            sent.append(message)
            await send(message)

        await app(scope, receive, record)

    with caplog.at_level(logging.DEBUG, logger='lanner'):
        if asgi:
            result = asyncio.run(call_asgi_async(recording, build_scope('GET', '/events')))
            # One start, and a proper end: the final body event, not an aborted connection.
            assert [m['type'] for m in sent].count('http.response.start') == 1
            assert sent[-1] == {'type': 'http.response.body', 'body': b'', 'more_body': False}
        else:
            result = Client(app).get('/events')
    assert result.status_code == 200
    assert result.content == b'data: first\n\n'
    assert closed == ['closed']
    records = [r for r in caplog.records if r.name == 'lanner']
    assert [r.levelno for r in records] == [logging.WARNING], caplog.text
    assert 'the event stream was ended' in records[0].getMessage()
