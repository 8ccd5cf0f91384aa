"""Hostile input suite: CR/LF (and NUL, and non-Latin-1) injection through every API that writes
to the wire: headers, cookies, Location, redirects, error headers, SSE fields and WebSocket
handshake headers.

The attack: a value the app takes from the request (here the query parameter ``v``, percent-
encoded on the wire) and hands to a header-writing API. ``apps/target.py`` routes
``/inject/<api>`` to one API each (``INJECTORS``). Whatever the API, the response must not carry
a header, cookie or SSE field the value smuggled in, must not be a 500, and the server must keep
serving. Two kinds of API are told apart:

* **Encoding** APIs (``location``, ``content_location``, ``downloadable_as``/``viewable_as``,
  ``append_link`` target and anchor; and ``set_cookie`` values with control characters, which
  the stdlib quotes) make any value safe, so the request succeeds and the value arrives
  percent-encoded or quoted.
* **Validating** APIs refuse the value with ``lanner.UnsafeValueError`` (non-Latin-1 header
  values and non-ASCII cookie values included), which the App answers with a 400 that does not
  echo the value.
"""

from __future__ import annotations

import json
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

GROUPS = {'control': CONTROL_PAYLOADS, 'non-latin-1': ('non-latin-1',)}


def _params() -> list[Any]:
    return [
        pytest.param(kind, api, group, id=f'{kind}-{api}-{group}')
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
        else:
            # Refused (lanner.UnsafeValueError): a 400 that does not echo the value back.
            assert response.status == 400, (payload, response)
            assert json.loads(response.body)['title'] == 'Unsafe value refused', response
            assert b'Injected' not in response.body, response
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


SSE_INJECTION = 'x\r\nevent: injected\r\nid: 666\r\n\r\ndata: smuggled'


def _sse_params() -> list[Any]:
    params = []
    for field in ('event', 'event_id', 'comment', 'data', 'text', 'json'):
        for where in ('responder', 'emitter'):
            for kind in ('asgi', 'wsgi'):
                params.append(pytest.param(kind, field, where, id=f'{kind}-{field}-{where}'))
    return params


@pytest.mark.parametrize(('kind', 'field', 'where'), _sse_params())
def test_sse_field_injection(
    kind: str, field: str, where: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue(f'{kind}_server')
    mark = server.log_mark()
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
        # lanner.UnsafeValueError raised by SSEvent in the responder: a 400 and one log line.
        assert response.status == 400, response
        log = server.wait_log(mark, 'Refused an unsafe value')
        assert f'Refused an unsafe value (GET /sse-inject/{field})' in log, log
    else:
        # The stream had started (200 and a first event); the refused event ends it cleanly
        # (the emitter is closed, the refusal logged), never with a second response start.
        assert response.status == 200, response
        assert fields == [('data', 'first')], fields
        log = server.wait_log(mark, 'the event stream was ended')
        assert 'Traceback' not in server.log_since(mark), log
        if chunked:
            assert response.body.endswith(b'0\r\n\r\n'), response  # the terminating chunk
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
