"""Hostile input suite: CR/LF (and NUL, and non-Latin-1) injection through every API that writes
to the wire: headers, cookies, Location, redirects, error headers, SSE fields and WebSocket
handshake headers.

The attack: a value the app takes from the request (here the query parameter ``v``, percent-
encoded on the wire) and hands to a header-writing API. ``apps/target.py`` routes
``/inject/<api>`` to one API each (``INJECTORS``). Whatever the API, the response must not carry
a header, cookie or SSE field the value smuggled in, must not be a 500, and the server must keep
serving. Two kinds of API are told apart:

* **Encoding** APIs (``location``, ``content_location``, ``downloadable_as``/``viewable_as``,
  ``append_link`` target and anchor; and ``set_cookie`` values, which the stdlib quotes) make
  any value safe, so the request succeeds and the value arrives percent-encoded or quoted.
* **Validating** APIs refuse the value; the request must then end in a 4xx.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from apps.target import INJECTORS
import pytest

pytestmark = pytest.mark.server

PAYLOADS = {
    'crlf': 'x\r\nX-Injected: 1',
    'lf': 'x\nX-Injected: 1',
    'cr': 'x\rX-Injected: 1',
    'nul': 'x\x00y',
    'non-latin-1': 'x\u0100y',
}
CONTROL_PAYLOADS = ('crlf', 'lf', 'cr', 'nul')

ENCODING_APIS = {
    'location': 'location',
    'content_location': 'content-location',
    'downloadable_as': 'content-disposition',
    'viewable_as': 'content-disposition',
    'append_link_target': 'link',
    'append_link_anchor': 'link',
}
# The stdlib cookie quoting turns control characters into octal escapes inside a quoted value.
QUOTING_APIS = {'set_cookie_value': 'set-cookie'}

# APIs whose check only looks for control characters: a non-Latin-1 value passes the setter and
# only fails when the response is serialized.
# A Content-Length the app set is replaced by the real length when the body is rendered, so a
# bogus value the setter let through never reaches the wire.
OVERWRITTEN = {('content_length', 'non-latin-1')}

LATIN1_UNCHECKED = {
    'set_header',
    'append_header',
    'append_header_set_cookie',
    'set_headers',
    'set_headers_pairs',
    'content_type',
    'cache_control',
    'vary',
    'etag',
    'retry_after',
    'accept_ranges',
    'content_length',
    'content_range_unit',
    'append_link_title',
    'http_error_headers',
    'http_status_headers',
    'redirect_found',
    'redirect_see_other',
    'unauthorized_challenge',
    'method_not_allowed',
}

VALIDATION_500 = (
    'Header-writing APIs reject the value with a ValueError (InvalidHeaderError from '
    'response_helpers.validate_header_value/validate_header_name, InvalidCookieNameError or '
    'ValueError from Response.set_cookie/unset_cookie, ValueError from redirects.HTTPFound & co); '
    'nothing is injected, but the App handles that like any unexpected exception (generic '
    'Exception handler in app.py / asgi/app.py) and the client gets 500. Issue 11 expects a 4xx '
    'for injection attempts: e.g. give these errors a common class and a default error handler '
    'that answers 400 (and logs a warning naming the header).'
)
NON_LATIN1 = (
    'response_helpers.validate_header_value only refuses control characters, so a value such as '
    '"x\\u0100y" is stored; at serialization ASGI fails in _asgi_headers (App._emergency_start: '
    '500) and WSGI hands it to start_response, where wsgiref fails to encode the status block '
    'and drops the connection with no response at all. Expected: refused when set (it can never '
    'be sent), answered with a 4xx.'
)
NON_ASCII_COOKIE_500 = (
    'Response.set_cookie rejects a non-ASCII cookie value with ValueError (Falcon contract), '
    'which the App turns into 500. Issue 11 expects a 4xx when the value comes from the request '
    '(same fix as for the header APIs).'
)


def _case_marks(api: str, group: str) -> list[Any]:
    if api in ENCODING_APIS or (api, group) in OVERWRITTEN:
        return []
    if api in QUOTING_APIS:
        return (
            []
            if group == 'control'
            else [pytest.mark.xfail(strict=True, reason=NON_ASCII_COOKIE_500)]
        )
    if group == 'non-latin-1' and api in LATIN1_UNCHECKED:
        return [pytest.mark.xfail(strict=True, reason=NON_LATIN1)]
    return [pytest.mark.xfail(strict=True, reason=VALIDATION_500)]


GROUPS = {'control': CONTROL_PAYLOADS, 'non-latin-1': ('non-latin-1',)}


def _params() -> list[Any]:
    return [
        pytest.param(kind, api, group, id=f'{kind}-{api}-{group}', marks=_case_marks(api, group))
        for api in INJECTORS
        for group in GROUPS
        for kind in ('asgi', 'wsgi')
    ]


def _assert_nothing_injected(response: Any) -> None:
    names = response.header_names()
    assert 'x-injected' not in names, response
    for line in response.head.split(b'\r\n')[1:]:
        # Every header line is "name: value" with a token name; anything else was smuggled in.
        assert re.match(rb'^[!#$%&\'*+\-.^_`|~0-9A-Za-z]+:', line), (line, response)
        assert b'\n' not in line and b'\r' not in line and b'\x00' not in line


@pytest.mark.parametrize(('kind', 'api', 'group'), _params())
def test_header_injection(kind: str, api: str, group: str, request: pytest.FixtureRequest) -> None:
    """Every payload of the group (CR/LF, LF, CR, NUL; or a non-Latin-1 character)."""
    server = request.getfixturevalue(f'{kind}_server')
    for payload in GROUPS[group]:
        value = PAYLOADS[payload]
        response = server.get(f'/inject/{api}?v={quote(value, safe="")}')
        assert response.status is not None, f'{payload}: no response: {response!r}'
        _assert_nothing_injected(response)
        if api in ENCODING_APIS or (api in QUOTING_APIS and group == 'control'):
            assert 200 <= response.status < 300, (payload, response)
            header = ENCODING_APIS.get(api) or QUOTING_APIS[api]
            written = response.header(header)
            assert written is not None, (payload, response)
            assert not re.search(r'[\x00-\x1f\x7f]', written), (payload, written)
        elif (api, group) in OVERWRITTEN:
            assert 200 <= response.status < 300, response
            assert response.header('content-length') == str(len(response.body))
        else:
            assert 400 <= response.status < 500, (payload, response)
    server.assert_serving()


# ---------------------------------------------------------------------------------------------
# SSE fields


def _dechunk(body: bytes, chunked: bool) -> bytes:
    if not chunked:
        return body
    out = bytearray()
    rest = body
    while rest:
        size_line, sep, rest = rest.partition(b'\r\n')
        if not sep:
            break
        size = int(size_line.split(b';')[0], 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


def _sse_fields(stream: bytes) -> list[tuple[str, str]]:
    """Field lines as an EventSource parses them (lines end at CR, LF or CRLF)."""
    fields = []
    for line in re.split(rb'\r\n|\r|\n', stream):
        if not line or line.startswith(b':'):
            continue
        name, _, value = line.partition(b':')
        fields.append((name.decode('utf-8', 'replace'), value.strip().decode('utf-8', 'replace')))
    return fields


SSE_FIELD_500 = (
    'SSEvent rejects CR/LF/NUL in event, event_id and comment with ValueError (lanner.sse '
    '_event._check_single_line); built in the responder, that ValueError becomes a 500 (generic '
    'Exception handler). Issue 11 expects a 4xx for injection attempts (same fix as the header '
    'APIs: a dedicated error class handled as 400).'
)
SSE_INJECTION = 'x\r\nevent: injected\r\nid: 666\r\n\r\ndata: smuggled'


def _sse_params() -> list[Any]:
    params = []
    for field in ('event', 'event_id', 'comment', 'data', 'text', 'json'):
        for where in ('responder', 'emitter'):
            for kind in ('asgi', 'wsgi'):
                marks = []
                if where == 'responder' and field in ('event', 'event_id', 'comment'):
                    marks.append(pytest.mark.xfail(strict=True, reason=SSE_FIELD_500))
                params.append(
                    pytest.param(kind, field, where, id=f'{kind}-{field}-{where}', marks=marks)
                )
    return params


@pytest.mark.parametrize(('kind', 'field', 'where'), _sse_params())
def test_sse_field_injection(
    kind: str, field: str, where: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue(f'{kind}_server')
    target = f'/sse-inject/{field}?where={where}&v={quote(SSE_INJECTION, safe="")}'
    response = server.get(target)
    assert response.status is not None, response
    _assert_nothing_injected(response)
    chunked = (response.header('transfer-encoding') or '').lower() == 'chunked'
    fields = _sse_fields(_dechunk(response.body, chunked))
    assert ('event', 'injected') not in fields, fields
    assert ('id', '666') not in fields, fields
    if field in ('data', 'text', 'json'):
        # Payloads may span lines: each line becomes its own data: field, never another field.
        assert response.status == 200, response
        assert {name for name, _ in fields} <= {'data'}, fields
    elif where == 'responder':
        assert 400 <= response.status < 500, response
    else:
        # The stream had started (200 and a first event); the bad event ends it instead.
        assert response.status == 200, response
        assert fields == [('data', 'first')], fields
    server.assert_serving()


# ---------------------------------------------------------------------------------------------
# WebSocket handshake headers (ASGI)


@pytest.mark.parametrize('payload', list(PAYLOADS))
def test_websocket_accept_header_injection(payload: str, asgi_server: Any) -> None:
    mark = asgi_server.log_mark()
    value = quote(PAYLOADS[payload], safe='')
    handshake = (
        f'GET /ws/inject?v={value} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
        'Sec-WebSocket-Version: 13\r\n\r\n'
    ).encode()
    response = asgi_server.send(handshake)
    # ws.accept() refuses the header, so the handshake is denied (HTTP 403) and nothing leaks.
    assert response.status == 403, response
    _assert_nothing_injected(response)
    log = asgi_server.wait_log(mark, r"header 'X-Inject'")
    assert "Invalid value for header 'X-Inject'" in log, log
    asgi_server.assert_serving()
