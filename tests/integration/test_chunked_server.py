"""Chunked uploads (no Content-Length) to real WSGI servers, over the wire.

* gunicorn (sync and gthread workers) decodes the chunked framing and sets
  ``wsgi.input_terminated``: an 8 MiB body reaches the app whole (exact size and SHA-256), in
  constant memory (the worker's peak RSS grows far less than the body), media parsing works,
  the body limit answers 413 and a malformed chunk size 400.
* wsgiref hands the undecoded bytes over with no length: the App answers 411, never a 200 for a
  body it read as empty.
"""

from __future__ import annotations

from collections.abc import Iterator
import hashlib
import json
from pathlib import Path
import random

from apps.wire import RawResponse, Server, raw_exchange, start_server
import pytest

pytestmark = pytest.mark.server

BODY_SIZE = 8 * 1024 * 1024


def _chunked_request(
    path: str, body: bytes, content_type: str = 'application/octet-stream'
) -> bytes:
    head = (
        f'POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
        f'Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n'
    ).encode()
    # Chunk sizes vary (1 byte to 100 KiB), as a streaming client's would.
    rng = random.Random(17)
    parts = [head]
    offset = 0
    while offset < len(body):
        size = min(rng.choice((1, 7, 1000, 8192, 65536, 100_000)), len(body) - offset)
        parts.append(b'%x\r\n' % size + body[offset : offset + size] + b'\r\n')
        offset += size
    parts.append(b'0\r\n\r\n')
    return b''.join(parts)


def _send(server: Server, data: bytes) -> RawResponse:
    return raw_exchange(server.port, data, timeout=60)


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmHWM:'):
            return int(line.split()[1])
    raise AssertionError('no VmHWM')


def _worker_pid(server: Server) -> int:
    children = Path(f'/proc/{server.pid}/task/{server.pid}/children').read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@pytest.fixture(scope='module', params=['gunicorn-sync', 'gunicorn-gthread'])
def gunicorn(request: pytest.FixtureRequest, server_log_dir: Path) -> Iterator[Server]:
    pytest.importorskip('gunicorn')
    server = start_server(request.param, 'apps.target:wsgi_app', server_log_dir)
    yield server
    server.stop()


def test_gunicorn_an_8_mib_chunked_upload_arrives_whole_in_flat_memory(gunicorn: Server) -> None:
    body = random.Random(8).randbytes(BODY_SIZE)
    expected = {'size': BODY_SIZE, 'sha256': hashlib.sha256(body).hexdigest()}
    request = _chunked_request('/upload', body)
    worker = _worker_pid(gunicorn)
    # A warm-up upload first: imports and buffers reach their working size.
    first = _send(gunicorn, request)
    assert first.status == 200, first
    assert json.loads(first.body) == expected
    peak = _peak_rss_kib(worker)
    for _ in range(3):
        response = _send(gunicorn, request)
        assert response.status == 200, response
        assert json.loads(response.body) == expected
    growth = _peak_rss_kib(worker) - peak
    # Read in blocks, never held whole: the peak grows by far less than one 8 MiB body.
    assert growth < 2 * 1024, f'peak RSS grew by {growth} KiB over three 8 MiB uploads'
    gunicorn.assert_serving()


def test_gunicorn_chunked_json_is_parsed(gunicorn: Server) -> None:
    doc = {'items': list(range(200_000))}  # about 1.3 MB of JSON, under the 4 MiB limit
    response = _send(
        gunicorn, _chunked_request('/echo', json.dumps(doc).encode(), 'application/json')
    )
    assert response.status == 200, response
    assert json.loads(response.body) == {'echo': doc}


def test_gunicorn_chunked_json_over_the_limit_is_a_413(gunicorn: Server) -> None:
    body = json.dumps({'blob': 'x' * (5 * 1024 * 1024)}).encode()
    response = _send(gunicorn, _chunked_request('/echo', body, 'application/json'))
    assert response.status == 413, response
    gunicorn.assert_serving()


def test_gunicorn_a_malformed_chunk_size_is_a_400(gunicorn: Server) -> None:
    mark = gunicorn.log_mark()
    data = (
        b'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'
        b'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n'
    )
    response = _send(gunicorn, data)
    assert response.status == 400, response
    assert b'chunked encoding' in response.body
    assert 'Traceback' not in gunicorn.log_since(mark)
    gunicorn.assert_serving()


def test_wsgiref_refuses_a_chunked_upload_with_411(wsgi_server: Server) -> None:
    before = wsgi_server.stats()['finished'].get('upload', 0)
    response = _send(wsgi_server, _chunked_request('/upload', b'x' * 100_000))
    assert response.status == 411, response
    assert b'Content-Length' in response.body
    # The responder never ran: nothing was presented to it as an empty body.
    assert wsgi_server.stats()['finished'].get('upload', 0) == before
    wsgi_server.assert_serving()
