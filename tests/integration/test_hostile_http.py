"""Hostile input suite: raw bytes over a socket to a running server.

Each request goes to uvicorn (ASGI) and to the threaded wsgiref server (WSGI), both serving
``apps/target.py``. Whatever a request does, three things always hold: the answer is not a 5xx
(nor a hidden one: the server log stays free of tracebacks), it comes within the time bound, and
the server answers a normal request afterwards. On top of that each case states what it expects:

* ``REJECT``: a 4xx, or 505. The server or lanner refused the request.
* ``OK``: a 2xx: odd but legitimate input, served correctly.
* ``SAFE``: any status below 500 (or 505): the input is ambiguous and either answer is defensible
  (typically because one server rejects it and the other normalises it before the app sees it).
* ``GONE``: no response at all and the connection closed: the client half-closed its side
  before sending everything it announced, which uvicorn treats as a disconnect.
* ``SIMPLE``: an HTTP/0.9 simple response (the body alone), which wsgiref still speaks.

Where the two servers differ, the expectation is per server (``{'asgi': ..., 'wsgi': ...}``) and
the comment says why. A case whose answer comes with an exception the server must log says
which one (``logged``); any other traceback fails the case. A newly found lanner bug is marked
``xfail(strict=True)`` with the precise cause until it is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
import re
from typing import Any

from apps.wire import RawResponse
import pytest

pytestmark = pytest.mark.server

REJECT = 'reject'
OK = 'ok'
SAFE = 'safe'
GONE = 'gone'
SIMPLE = 'simple'

H = b'Host: 127.0.0.1\r\nConnection: close\r\n'

# The App answers 505 to an HTTP version outside 1.0/1.1/2/3 and then raises UnsupportedError
# (Falcon's contract), which uvicorn logs as "Exception in ASGI application" with that traceback.
VERSION_RAISED = 'lanner.errors.UnsupportedError: HTTP version'


@dataclass
class Case:
    name: str
    data: bytes
    expect: str | dict[str, str]
    half_close: bool = False
    # Per server: the one exception the server may log for this case (no other traceback).
    logged: dict[str, str] = field(default_factory=dict)
    check: Any = None  # optional callable(response, kind) with extra assertions

    def expectation(self, kind: str) -> str:
        return self.expect if isinstance(self.expect, str) else self.expect[kind]


def post(target: str, body: bytes, content_type: str | None = None, extra: bytes = b'') -> bytes:
    head = b'POST ' + target.encode() + b' HTTP/1.1\r\n' + H
    if content_type:
        head += b'Content-Type: ' + content_type.encode() + b'\r\n'
    head += b'Content-Length: %d\r\n' % len(body) + extra
    return head + b'\r\n' + body


def get(target: bytes, extra: bytes = b'') -> bytes:
    return b'GET ' + target + b' HTTP/1.1\r\n' + H + extra + b'\r\n'


def _upload_size(expected: int) -> Any:
    def check(response: Any, kind: str) -> None:
        assert json.loads(response.body)['size'] == expected

    return check


def _trailing_bytes_rejected(response: Any, kind: str) -> None:
    # The first request consumed exactly its declared 3 bytes; what followed is parsed as a
    # second request, which must be refused (or dropped with the connection), never served.
    first = _first_body(response)
    assert json.loads(first)['size'] == 3
    rest = response.body[len(first) :]
    statuses = [int(s) for s in re.findall(rb'HTTP/1\.[01] (\d{3})', rest)]
    assert all(400 <= s < 500 for s in statuses), rest


def _first_body(response: RawResponse) -> bytes:
    length = int(response.header('content-length') or 0)
    return response.body[:length]


def _no_injected_header(response: Any, kind: str) -> None:
    assert b'x-injected' not in response.head.lower()


def _version_not_supported(response: Any, kind: str) -> None:
    # wsgiref answers these itself (505, or serves 1.2 as 1.x); the ASGI App sends a JSON 505.
    if kind == 'asgi':
        assert response.status == 505, response
        assert json.loads(response.body)['title'] == '505 HTTP Version Not Supported'


def _framing_conflict(response: Any, kind: str) -> None:
    assert response.status == 400, response
    body = _first_body(response)
    assert json.loads(body)['title'] == 'Conflicting Content-Length and Transfer-Encoding'
    if kind == 'asgi':
        # Whatever followed this request on the connection must not be served.
        assert response.header('connection') == 'close', response


def _incomplete_body(response: Any, kind: str) -> None:
    if kind == 'asgi':
        return  # uvicorn takes the half-close for a disconnect: nobody is left to answer
    assert response.status == 400, response
    assert json.loads(_first_body(response))['title'] == 'Incomplete request body'


MULTIPART_OK = b'--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n--xyz--\r\n'

CASES = [
    # --- request lines ----------------------------------------------------------------------
    Case('request-line garbage', b'GARBAGE\r\n\r\n', REJECT),
    Case('request-line lower-case version', b'GET /health http/1.1\r\n' + H + b'\r\n', REJECT),
    # wsgiref splits the request line on any whitespace run; h11 insists on single spaces.
    Case(
        'request-line double spaces',
        b'GET  /health  HTTP/1.1\r\n' + H + b'\r\n',
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    # wsgiref implements HTTP/0.9 simple requests; h11 refuses them.
    Case('request-line without version', b'GET /health\r\n\r\n', {'asgi': REJECT, 'wsgi': SIMPLE}),
    Case(
        'request-line control char in method', b'G\x01T /health HTTP/1.1\r\n' + H + b'\r\n', REJECT
    ),
    Case('request-line NUL in target', b'GET /health\x00 HTTP/1.1\r\n' + H + b'\r\n', REJECT),
    Case('request-line DEL in target', b'GET /health\x7f HTTP/1.1\r\n' + H + b'\r\n', REJECT),
    Case('request-line unknown method', b'FOO /health HTTP/1.1\r\n' + H + b'\r\n', REJECT),
    Case('request-line lower-case method', b'get /health HTTP/1.1\r\n' + H + b'\r\n', REJECT),
    Case(
        'request-line WEBSOCKET pseudo-method',
        b'WEBSOCKET /health HTTP/1.1\r\n' + H + b'\r\n',
        REJECT,
    ),
    Case('request-line CONNECT', b'CONNECT evil.example:443 HTTP/1.1\r\n' + H + b'\r\n', REJECT),
    Case('request-line OPTIONS *', b'OPTIONS * HTTP/1.1\r\n' + H + b'\r\n', REJECT),
    Case(
        'request-line absolute-form elsewhere',
        b'GET http://evil.example/health HTTP/1.1\r\n' + H + b'\r\n',
        REJECT,
    ),
    Case('request-line 200 KB target', get(b'/' + b'a' * 200_000), REJECT),
    Case(
        'request-line 20000 query fields',
        get(b'/items/1?' + b'&'.join(b'p%d=1' % i for i in range(20_000))),
        REJECT,
    ),
    Case(
        'request-line bare LF line ends',
        b'GET /health HTTP/1.1\nHost: a\nConnection: close\n\n',
        SAFE,
    ),
    # --- HTTP versions ----------------------------------------------------------------------
    # h11 passes these request lines on as http_version "2.0" / "1.2": the App answers 505.
    Case(
        'version HTTP/2.0 over HTTP/1 framing',
        b'GET /health HTTP/2.0\r\n' + H + b'\r\n',
        REJECT,
        logged={'asgi': VERSION_RAISED},
        check=_version_not_supported,
    ),
    Case(
        'version HTTP/1.2',
        b'GET /health HTTP/1.2\r\n' + H + b'\r\n',
        SAFE,
        logged={'asgi': VERSION_RAISED},
        check=_version_not_supported,
    ),
    Case('version HTTP/3', b'GET /health HTTP/3\r\n' + H + b'\r\n', REJECT),
    Case('version HTTP/1.0 without Host', b'GET /health HTTP/1.0\r\n\r\n', OK),
    # h11 enforces Host on HTTP/1.1; wsgiref does not, and the route never reads it.
    Case(
        'version HTTP/1.1 without Host',
        b'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n',
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    # --- percent-encoding and dot-segment tricks --------------------------------------------
    Case('path dot-segments into static', get(b'/static/../apps/target.py'), REJECT),
    Case('path encoded slashes into static', get(b'/static/..%2f..%2fconftest.py'), REJECT),
    Case('path encoded dots into static', get(b'/static/%2e%2e/%2e%2e/conftest.py'), REJECT),
    Case('path backslashes into static', get(b'/static/..\\..\\conftest.py'), REJECT),
    Case('path double-encoded dots', get(b'/static/%252e%252e%252fconftest.py'), REJECT),
    Case('path overlong UTF-8 dots', get(b'/static/%c0%ae%c0%ae/conftest.py'), REJECT),
    Case('path invalid UTF-8', get(b'/static/%ff%fe'), REJECT),
    Case('path encoded NUL in static name', get(b'/static/hello.txt%00'), REJECT),
    Case('path encoded NUL in route', get(b'/items/%00'), REJECT),
    Case('path encoded slash inside a field', get(b'/items/1%2f2'), REJECT),
    Case('path encoded digit in a field', get(b'/items/%31'), OK),
    Case('path static file (control)', get(b'/static/hello.txt'), OK),
    Case('query invalid escape', get(b'/items/1?limit=%zz'), REJECT),
    Case('query encoded NUL', get(b'/items/1?limit=%00'), REJECT),
    Case('query out-of-range number', get(b'/items/1?limit=1e999'), REJECT),
    # --- NUL and control characters in headers ----------------------------------------------
    # wsgiref passes these through; lanner must still not fail on them.
    Case(
        'header NUL in value', get(b'/health', b'X-Bad: a\x00b\r\n'), {'asgi': REJECT, 'wsgi': SAFE}
    ),
    Case(
        'header lone CR in value',
        get(b'/health', b'X-Bad: a\rb\r\n'),
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    Case('header control char in value', get(b'/health', b'X-Bad: a\x01b\r\n'), SAFE),
    Case('header 8-bit value', get(b'/health', b'X-Bad: \xff\xfe\r\n'), SAFE),
    Case(
        'header obs-fold continuation',
        get(b'/health', b'X-Bad: a\r\n folded\r\n'),
        SAFE,
        check=_no_injected_header,
    ),
    Case(
        'header space before colon',
        get(b'/health', b'X-Bad : y\r\n'),
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    Case(
        'header line without colon', get(b'/health', b'NoColon\r\n'), {'asgi': REJECT, 'wsgi': SAFE}
    ),
    Case('header cookie soup', get(b'/health', b'Cookie: a=\x01; ;;=; b="; c\r\n'), OK),
    Case('header malformed Forwarded', get(b'/health', b'Forwarded: for="\r\n'), OK),
    # --- oversized and duplicated headers ---------------------------------------------------
    Case('header 1 MiB value', get(b'/health', b'X-Big: ' + b'a' * 1_048_576 + b'\r\n'), REJECT),
    # wsgiref refuses more than 100 fields itself; h11 passes them on and lanner answers 431.
    Case(
        'header 200 fields',
        get(b'/health', b''.join(b'X-%d: y\r\n' % i for i in range(200))),
        REJECT,
    ),
    Case(
        'header duplicate Host',
        b'GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n',
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    # wsgiref hands the app only the first Content-Length, so lanner cannot see the conflict.
    Case(
        'header duplicate conflicting Content-Length',
        post('/upload', b'abcdef', extra=b'Content-Length: 5\r\n'),
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    Case(
        'header duplicate Content-Type',
        post('/echo', b'{}', 'application/json', b'Content-Type: text/plain\r\n'),
        SAFE,
    ),
    # --- Content-Length / Transfer-Encoding -------------------------------------------------
    Case(
        'CL and TE together',
        b'POST /upload HTTP/1.1\r\n'
        + H
        + b'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        REJECT,
        check=_framing_conflict,
    ),
    Case(
        'CL.TE smuggling attempt',
        b'POST /upload HTTP/1.1\r\n' + H + b'Content-Length: 4\r\n'
        b'Transfer-Encoding: chunked\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n',
        REJECT,
        check=_framing_conflict,
    ),
    Case(
        'CL not a number', b'POST /upload HTTP/1.1\r\n' + H + b'Content-Length: abc\r\n\r\n', REJECT
    ),
    Case('CL negative', b'POST /upload HTTP/1.1\r\n' + H + b'Content-Length: -5\r\n\r\n', REJECT),
    Case(
        'CL with sign',
        b'POST /upload HTTP/1.1\r\n' + H + b'Content-Length: +5\r\n\r\nabcde',
        REJECT,
    ),
    Case(
        'CL as a list',
        b'POST /upload HTTP/1.1\r\n' + H + b'Content-Length: 5, 5\r\n\r\nabcde',
        SAFE,
    ),
    # wsgiref does not decode chunked bodies (PEP 3333 leaves it to the server); lanner then
    # sees no Content-Length and an empty body.
    Case(
        'TE unknown coding',
        b'POST /upload HTTP/1.1\r\n' + H + b'Transfer-Encoding: xchunked\r\n\r\n',
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    Case(
        'TE malformed chunk size',
        b'POST /upload HTTP/1.1\r\n'
        + H
        + b'Transfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n',
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    # --- bodies shorter or longer than declared ---------------------------------------------
    Case(
        'body shorter than declared',
        b'POST /upload HTTP/1.1\r\n' + H + b'Content-Length: 10\r\n\r\nabcde',
        {'asgi': GONE, 'wsgi': REJECT},
        half_close=True,
        check=_incomplete_body,
    ),
    Case(
        'JSON body shorter than declared',
        b'POST /echo HTTP/1.1\r\n'
        + H
        + b'Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{"a":',
        {'asgi': GONE, 'wsgi': REJECT},
        half_close=True,
    ),
    Case(
        'body longer than declared',
        b'POST /upload HTTP/1.1\r\n' + H + b'Content-Length: 3\r\n\r\nabcdefgh',
        OK,
        check=_upload_size(3),
    ),
    Case(
        'body longer than declared, keep-alive',
        b'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcdefgh\r\n\r\n',
        OK,
        check=_trailing_bytes_rejected,
    ),
    # --- media ------------------------------------------------------------------------------
    Case('JSON malformed', post('/echo', b'{x}', 'application/json'), REJECT),
    Case(
        'JSON nested 100000 deep',
        post('/echo', b'[' * 100_000 + b']' * 100_000, 'application/json'),
        REJECT,
    ),
    Case('JSON invalid UTF-8', post('/echo', b'"\xff"', 'application/json'), REJECT),
    Case('JSON NaN', post('/echo', b'NaN', 'application/json'), REJECT),
    Case('JSON 5000-digit integer', post('/echo', b'9' * 5000, 'application/json'), REJECT),
    Case('JSON with encoded NUL', post('/echo', b'"a\\u0000b"', 'application/json'), OK),
    Case('media unsupported type', post('/echo', b'{}', 'application/x-nope'), REJECT),
    Case('media garbage Content-Type', post('/echo', b'{}', ';;;=='), REJECT),
    Case(
        'multipart well-formed (control)',
        post('/form', MULTIPART_OK, 'multipart/form-data; boundary=xyz'),
        OK,
    ),
    Case(
        'multipart wrong boundary',
        post('/form', b'--y\r\n\r\nzz', 'multipart/form-data; boundary=x'),
        REJECT,
    ),
    Case(
        'multipart truncated',
        post('/form', MULTIPART_OK[:30], 'multipart/form-data; boundary=xyz'),
        REJECT,
    ),
    Case(
        'multipart NUL in part header',
        post(
            '/form',
            b'--xyz\r\nContent-Disposition: form-data\x00\r\n\r\n',
            'multipart/form-data; boundary=xyz',
        ),
        REJECT,
    ),
    Case(
        'multipart 10000 part headers',
        post(
            '/form',
            b'--x\r\n' + b'X: y\r\n' * 10_000 + b'\r\nzz\r\n--x--\r\n',
            'multipart/form-data; boundary=x',
        ),
        REJECT,
    ),
    Case(
        'multipart boundary too long',
        post('/form', b'--' + b'x' * 100 + b'--\r\n', 'multipart/form-data; boundary=' + 'x' * 100),
        REJECT,
    ),
    Case('multipart without boundary', post('/form', b'zz', 'multipart/form-data'), REJECT),
    Case(
        'urlencoded bad escapes',
        post('/form', b'%zz=%ff&&', 'application/x-www-form-urlencoded'),
        OK,
    ),
    # --- conditional and range headers on a static file -------------------------------------
    Case('Range malformed', get(b'/static/hello.txt', b'Range: bytes=z-q\r\n'), REJECT),
    Case(
        'Range beyond the file',
        get(b'/static/hello.txt', b'Range: bytes=99999999999999-\r\n'),
        REJECT,
    ),
    Case(
        'If-Modified-Since malformed',
        get(b'/static/hello.txt', b'If-Modified-Since: x\r\n'),
        REJECT,
    ),
    Case('If-None-Match malformed', get(b'/static/hello.txt', b'If-None-Match: "\r\n'), OK),
    Case('Accept malformed on an error', get(b'/nope', b'Accept: text/html;q=abc\r\n'), REJECT),
    Case('Accept q=nan on an error', get(b'/nope', b'Accept: application/json;q=nan\r\n'), REJECT),
    # --- WebSocket handshakes (on WSGI these are ordinary GETs) -----------------------------
    Case(
        'WS upgrade to an HTTP-only route',
        b'GET /health HTTP/1.1\r\nHost: a\r\n'
        b'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: '
        b'dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    Case(
        'WS upgrade to no route',
        b'GET /nope HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n'
        b'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
        b'Sec-WebSocket-Version: 13\r\n\r\n',
        REJECT,
    ),
    Case(
        'WS upgrade to a static file',
        b'GET /static/hello.txt HTTP/1.1\r\nHost: a\r\n'
        b'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: '
        b'dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        {'asgi': REJECT, 'wsgi': SAFE},
    ),
    Case(
        'WS bad version',
        b'GET /ws/echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n'
        b'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
        b'Sec-WebSocket-Version: 99\r\n\r\n',
        REJECT,
    ),
]


def _params() -> list[Any]:
    return [
        pytest.param(kind, case, id=f'{kind}-{case.name}')
        for case in CASES
        for kind in ('asgi', 'wsgi')
    ]


@pytest.mark.parametrize(('kind', 'case'), _params())
def test_hostile_request(kind: str, case: Case, request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue(f'{kind}_server')
    mark = server.log_mark()
    response = server.send(case.data, half_close=case.half_close, timeout=3.0)
    expectation = case.expectation(kind)

    assert not response.timed_out, f'no answer within the bound: {response!r}'
    if expectation == GONE:
        assert response.closed and response.status is None, response
    elif expectation == SIMPLE:
        assert response.data == b'ok', response
    else:
        assert response.status is not None, f'no response: {response!r}'
        if expectation == REJECT:
            assert 400 <= response.status < 500 or response.status == 505, response
        elif expectation == OK:
            assert 200 <= response.status < 300, response
        else:
            assert response.status < 500 or response.status == 505, response
    if case.check is not None:
        case.check(response, kind)

    server.assert_serving()
    log = server.log_since(mark)
    allowed = case.logged.get(kind)
    if allowed is not None:
        log = server.wait_log(mark, re.escape(allowed))
        # Exactly the expected exception, once per traceback, and nothing else.
        assert log.count('Traceback') == log.count(allowed) == 1, log
    else:
        assert 'Traceback' not in log, log
    assert ' 500 ' not in log, log
