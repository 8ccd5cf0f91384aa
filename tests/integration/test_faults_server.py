"""Fault suite over the wire: failures, clients that vanish, and shutdowns, on real servers.

The ASGI app runs under uvicorn and the WSGI app under the threaded wsgiref server, both in
subprocesses (see ``conftest.py``). For every fault the test checks what the client sees (status,
truncated body or WebSocket close code), the line the server log gained, that the handler ended
and nothing leaked (``GET /_stats``: running handlers, asyncio tasks or threads, and the server's
open file descriptors, all back to where they were), and that the server still serves.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import os
import re
import signal
import socket
import struct
import threading
import time
from typing import Any

from apps.wire import HOST, RawResponse, Server, raw_exchange, request_bytes, wait_until
import pytest

pytestmark = pytest.mark.server
ws_sync = pytest.importorskip('websockets.sync.client')
ws_exceptions = pytest.importorskip('websockets.exceptions')

GRACE = 2  # seconds a server waits for work in flight when it is stopped
LINGER_RESET = struct.pack('ii', 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class Baseline:
    """What the server holds while idle, to compare with after a fault."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.stats: dict[str, Any] = server.stats()
        self.fds: int = server.fd_count()

    def _settled(self) -> bool:
        stats = self.server.stats()
        # Compared with the idle level, not with zero: an earlier test may have left a bounded
        # stream running on the shared server.
        for kind, count in stats['active'].items():
            if count > self.stats['active'].get(kind, 0):
                return False
        if self.server.kind == 'asgi' and stats['tasks'] > self.stats['tasks']:
            return False
        if self.server.kind == 'wsgi' and stats['threads'] > self.stats['threads']:
            return False
        return bool(self.server.fd_count() <= self.fds)

    def assert_no_leak(self, timeout: float = 2.0) -> None:
        """Handlers ended, and tasks/threads/descriptors are back to the idle level."""
        settled = wait_until(self._settled, timeout)
        stats = self.server.stats()
        assert settled, (
            f'leak: before {self.stats} fds={self.fds}; after {stats} fds={self.server.fd_count()}'
        )


def _finished(server: Server, kind: str, before: dict[str, Any]) -> bool:
    now: int = server.stats()['finished'].get(kind, 0)
    then: int = before['finished'].get(kind, 0)
    return now > then


# ---------------------------------------------------------------------------------------------
# Exceptions, seen from the client


def test_responder_exception_is_a_logged_500(server: Server) -> None:
    baseline = Baseline(server)
    mark = server.log_mark()
    response = server.get('/fail/responder')
    assert response.status == 500
    assert response.body == b'{"title": "500 Internal Server Error"}'
    log = server.wait_log(mark, 'responder failed on purpose')
    assert 'RuntimeError: responder failed on purpose' in log
    assert '/fail/responder' in log  # the line says which request failed
    baseline.assert_no_leak()
    server.assert_serving()


def _is_chunked_complete(response: RawResponse) -> bool:
    return response.body.endswith(b'0\r\n\r\n')


def test_stream_generator_exception_aborts_the_response(server: Server) -> None:
    baseline = Baseline(server)
    mark = server.log_mark()
    response = server.get('/stream?chunks=5&fail_at=2')
    assert response.status == 200
    assert b'chunk 00001' in response.body and b'chunk 00002' not in response.body
    if server.kind == 'asgi':
        # No terminating zero-length chunk: the client can tell the body is incomplete.
        assert not _is_chunked_complete(response), response
    assert response.closed
    log = server.wait_log(mark, 'stream finished')
    assert 'RuntimeError: stream generator failed on purpose at chunk 2' in log
    assert 'stream finished: 2 chunks, failed' in log
    baseline.assert_no_leak()
    server.assert_serving()


def test_sse_emitter_exception_aborts_the_stream(server: Server) -> None:
    baseline = Baseline(server)
    mark = server.log_mark()
    response = server.get('/sse?chunks=5&fail_at=2')
    assert response.status == 200
    assert b'data: chunk 00001' in response.body and b'chunk 00002' not in response.body
    if server.kind == 'asgi':
        assert not _is_chunked_complete(response), response
    log = server.wait_log(mark, 'sse finished')
    assert 'RuntimeError: sse generator failed on purpose at chunk 2' in log
    assert 'sse finished: 2 chunks, failed' in log
    assert 'could not be serialized' not in log, log
    assert "but got 'http.response.start'" not in log, log
    baseline.assert_no_leak()
    server.assert_serving()


@pytest.mark.parametrize(
    ('when', 'expected'),
    [('after_accept', 1011), ('before_accept', 403), ('http_error', 403)],
)
def test_websocket_handler_exception(asgi_server: Server, when: str, expected: int) -> None:
    server = asgi_server
    baseline = Baseline(server)
    mark = server.log_mark()
    url = f'ws://{HOST}:{server.port}/ws/fail?when={when}'
    if when == 'after_accept':
        with ws_sync.connect(url, open_timeout=5) as ws:
            ws.send('trigger')
            with pytest.raises(ws_exceptions.ConnectionClosed):
                ws.recv(timeout=5)
            assert ws.close_code == expected
    else:
        # Closing before accept denies the handshake: the client gets HTTP 403.
        with pytest.raises(ws_exceptions.InvalidStatus) as info:
            ws_sync.connect(url, open_timeout=5)
        assert info.value.response.status_code == expected
    if when == 'http_error':
        text = 'WebSocket handshake or handler failed with <HTTPForbidden: 403 Forbidden>'
    else:
        text = f'RuntimeError: WebSocket handler failed on purpose ({when})'
    log = server.wait_log(mark, re.escape(text))
    assert text in log, log
    baseline.assert_no_leak()
    server.assert_serving()


# ---------------------------------------------------------------------------------------------
# The client disconnecting at every point of the exchange


def _send_and_vanish(server: Server, data: bytes, read: int = 0, linger: float = 0.0) -> bytes:
    """Send ``data``, optionally read ``read`` bytes, then reset the connection (no FIN)."""
    sock = socket.create_connection((HOST, server.port), timeout=5)
    received = b''
    try:
        sock.sendall(data)
        while len(received) < read:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        if linger:
            time.sleep(linger)
    finally:
        # SO_LINGER 0 makes close() send RST: the client is gone, not politely finished.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
        sock.close()
    return received


@pytest.mark.parametrize(
    'partial',
    [
        b'GET /hea',
        b'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ab',
        b'GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgr',
    ],
    ids=['request-line', 'headers', 'websocket-handshake'],
)
def test_client_gone_before_the_request_was_complete(server: Server, partial: bytes) -> None:
    baseline = Baseline(server)
    _send_and_vanish(server, partial)
    baseline.assert_no_leak()
    server.assert_serving()


def test_client_gone_mid_upload(server: Server) -> None:
    baseline = Baseline(server)
    before = server.stats()
    mark = server.log_mark()
    head = b'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n'
    _send_and_vanish(server, head + b'x' * 50_000, linger=0.2)
    assert wait_until(lambda: _finished(server, 'upload', before), 2.0), server.stats()
    last = server.stats()['last']['upload']
    assert last['outcome'] != 'complete' and last['size'] <= 50_000, last
    log = server.wait_log(mark, 'upload finished')
    assert f'upload finished: {last["size"]} bytes, {last["outcome"]}' in log
    baseline.assert_no_leak()
    server.assert_serving()


@pytest.mark.parametrize('kind', ['asgi', 'gunicorn-gthread'])
def test_client_gone_mid_chunked_upload(
    server_factory: Any, asgi_server: Server, kind: str
) -> None:
    # A chunked body (no Content-Length) cut off: uvicorn ends the stream at the disconnect,
    # gunicorn's decoded input fails the read (400 for nobody). Either way the handler ends
    # without taking the part it got for the whole body, and nothing stays behind.
    if kind == 'asgi':
        server = asgi_server
    else:
        pytest.importorskip('gunicorn')
        server = server_factory(kind, 'apps.target:wsgi_app')
    baseline = Baseline(server)
    before = server.stats()
    head = b'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n'
    chunks = b''.join(b'1000\r\n' + b'x' * 4096 + b'\r\n' for _ in range(12))
    _send_and_vanish(server, head + chunks + b'1000\r\nxx', linger=0.2)
    assert wait_until(lambda: _finished(server, 'upload', before), 3.0), server.stats()
    last = server.stats()['last']['upload']
    assert last['outcome'] != 'complete' and last['size'] <= 12 * 4096 + 2, last
    baseline.assert_no_leak()
    server.assert_serving()


def test_client_gone_before_the_response(server: Server) -> None:
    baseline = Baseline(server)
    before = server.stats()
    _send_and_vanish(server, request_bytes('GET', '/slow?delay=0.3'))
    # The handler may finish its work or be cancelled, but it must end, and nothing may stay.
    assert wait_until(lambda: _finished(server, 'slow', before), 3.0), server.stats()
    baseline.assert_no_leak()
    server.assert_serving()


@pytest.mark.parametrize('route', ['stream', 'sse'])
def test_abandoned_stream_is_cleaned_up_within_a_second(server: Server, route: str) -> None:
    baseline = Baseline(server)
    before = server.stats()
    received = _send_and_vanish(
        server, request_bytes('GET', f'/{route}?chunks=300&delay=0.01'), read=200
    )
    assert received.startswith(b'HTTP/1.')
    gone_at = time.monotonic()
    ended = wait_until(lambda: _finished(server, route, before), 1.0)
    elapsed = time.monotonic() - gone_at
    last = server.stats()['last'].get(route, {})
    assert ended, f'{route} still running {elapsed:.1f} s after the client left: {last}'
    assert last.get('reason') in ('closed', 'cancelled'), last
    baseline.assert_no_leak()
    server.assert_serving()


@pytest.mark.parametrize('polite', [True, False], ids=['close-frame', 'connection-reset'])
def test_websocket_client_gone_mid_conversation(asgi_server: Server, polite: bool) -> None:
    server = asgi_server
    baseline = Baseline(server)
    before = server.stats()
    mark = server.log_mark()
    with contextlib.ExitStack() as stack:
        ws = stack.enter_context(
            ws_sync.connect(f'ws://{HOST}:{server.port}/ws/echo', open_timeout=5)
        )
        for number in range(3):
            ws.send(f'message {number}')
            assert ws.recv(timeout=5) == f'message {number}'
        if polite:
            ws.close(code=1001, reason='going away')
        else:
            # Reset the TCP connection under the client: no close frame is ever sent.
            stack.pop_all()
            raw = ws.socket
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RESET)
            raw.close()
    assert wait_until(lambda: _finished(server, 'ws', before), 1.0), server.stats()
    last = server.stats()['last']['ws']
    assert last['received'] == 3
    # A reset without a close frame is reported by the server as 1006 (abnormal closure) or
    # 1005 (no status received), depending on the websockets version uvicorn runs on.
    assert last['code'] in ((1001,) if polite else (1005, 1006)), last
    log = server.wait_log(mark, 'WebSocket client disconnected')
    assert f'WebSocket client disconnected (code {last["code"]})' in log, log
    baseline.assert_no_leak()
    server.assert_serving()


# ---------------------------------------------------------------------------------------------
# Shutdown with requests, streams and WebSockets in flight


@contextlib.contextmanager
def _in_background(server: Server, targets: dict[str, str]) -> Iterator[dict[str, RawResponse]]:
    results: dict[str, RawResponse] = {}

    def fetch(name: str, target: str) -> None:
        results[name] = raw_exchange(server.port, request_bytes('GET', target), timeout=15)

    threads = [threading.Thread(target=fetch, args=item, daemon=True) for item in targets.items()]
    for thread in threads:
        thread.start()
    try:
        yield results
    finally:
        for thread in threads:
            thread.join(15)


def _terminate(server: Server) -> float:
    started = time.monotonic()
    os.kill(server.pid, signal.SIGTERM)
    return started


def test_asgi_shutdown_with_work_in_flight(server_factory: Any) -> None:
    server = server_factory(
        'asgi', 'apps.target:asgi_app', extra_args=['--timeout-graceful-shutdown', str(GRACE)]
    )
    targets = {
        'slow': '/slow?delay=1',
        'stream': '/stream?chunks=2000&delay=0.01',
        'sse': '/sse?chunks=2000&delay=0.01',
    }
    with _in_background(server, targets) as results:
        with ws_sync.connect(f'ws://{HOST}:{server.port}/ws/echo', open_timeout=5) as ws:
            ws.send('before shutdown')
            assert ws.recv(timeout=5) == 'before shutdown'
            running = lambda: len(server.stats()['active']) == 4  # noqa: E731
            assert wait_until(running, 5.0), server.stats()
            mark = server.log_mark()
            started = _terminate(server)
            with pytest.raises(ws_exceptions.ConnectionClosed):
                ws.recv(timeout=5)
            ws_closed_after = time.monotonic() - started
            assert ws.close_code == 1012  # "service restart", sent by uvicorn at once
        returncode = server.proc.wait(GRACE + 5)
        exited_after = time.monotonic() - started

    assert ws_closed_after < 1.0
    # uvicorn re-raises SIGTERM after a clean shutdown, so -SIGTERM is its normal exit status.
    assert returncode in (0, -signal.SIGTERM)
    assert exited_after < GRACE + 3
    # The plain request finished normally; the endless streams were cut at the grace period.
    assert results['slow'].status == 200 and results['slow'].body == b'slept'
    for name in ('stream', 'sse'):
        assert results[name].status == 200 and results[name].closed
        assert not _is_chunked_complete(results[name])
    log = server.log_since(mark)
    assert 'ws finished: 1 messages, close code 1012' in log
    assert 'slow finished: completed' in log
    # uvicorn cancels the streams and starts the lifespan shutdown without waiting for them, then
    # exits at once when the app reports it complete: the generators' finally blocks ran only
    # because the App waits for its cancelled streams before that (lanner.asgi._shutdown).
    for name in ('stream', 'sse'):
        assert f'{name} finished:' in log, log
        outcome = log.split(f'{name} finished:')[1].splitlines()[0]
        # 'cancelled' when the cancellation found the generator waiting inside itself, 'closed'
        # (aclose) when it found the sender waiting on the socket: which one is a matter of
        # timing, and both mean the stream was cut at the grace period.
        assert outcome.endswith((' cancelled', ' closed')), outcome
    assert 'timeout graceful shutdown exceeded' in log  # uvicorn says what it cut short
    # process_shutdown runs once every stream has unwound, so it may release what they used.
    assert 'lifespan shutdown; still active: nothing' in log, log
    assert 'Application shutdown complete' in log


def test_lanner_serve_shutdown_ends_event_streams_at_once(server_factory: Any) -> None:
    # lanner serve tells the App as soon as uvicorn begins its shutdown (App.begin_shutdown):
    # the SSE stream ends with a proper end of body at once instead of being cut at the grace
    # period; the download is still the server's to cut; the rest is as under plain uvicorn.
    server = server_factory(
        'lanner-serve', 'apps.target:asgi_app', extra_args=['--graceful-timeout', str(GRACE)]
    )
    targets = {
        'slow': '/slow?delay=1',
        'stream': '/stream?chunks=2000&delay=0.01',
        'sse': '/sse?chunks=2000&delay=0.01',
    }
    with _in_background(server, targets) as results:
        with ws_sync.connect(f'ws://{HOST}:{server.port}/ws/echo', open_timeout=5) as ws:
            ws.send('before shutdown')
            assert ws.recv(timeout=5) == 'before shutdown'
            running = lambda: len(server.stats()['active']) == 4  # noqa: E731
            assert wait_until(running, 5.0), server.stats()
            mark = server.log_mark()
            started = _terminate(server)
            with pytest.raises(ws_exceptions.ConnectionClosed):
                ws.recv(timeout=5)
            assert ws.close_code == 1012
        returncode = server.proc.wait(GRACE + 5)
        exited_after = time.monotonic() - started
    assert returncode in (0, -signal.SIGTERM)
    assert exited_after < GRACE + 3
    assert results['slow'].status == 200 and results['slow'].body == b'slept'
    assert results['sse'].status == 200 and _is_chunked_complete(results['sse'])
    assert results['stream'].status == 200 and not _is_chunked_complete(results['stream'])
    log = server.log_since(mark)
    assert 'ws finished: 1 messages, close code 1012' in log
    assert 'slow finished: completed' in log
    # The emitter was stopped (its finally ran) and the body still ended properly (above).
    assert 'sse finished:' in log
    assert 'timeout graceful shutdown exceeded' in log  # only the download was left to cut
    assert 'Application shutdown complete' in log


def test_wsgi_shutdown_with_work_in_flight(server_factory: Any) -> None:
    server = server_factory('wsgi', 'apps.target:wsgi_app', extra_args=['--grace', str(GRACE)])
    targets = {'slow': '/slow?delay=1', 'stream': '/stream?chunks=2000&delay=0.01'}
    with _in_background(server, targets) as results:
        assert wait_until(lambda: len(server.stats()['active']) == 2, 5.0), server.stats()
        mark = server.log_mark()
        started = _terminate(server)
        returncode = server.proc.wait(GRACE + 5)
        exited_after = time.monotonic() - started
    assert returncode == 0
    assert exited_after < GRACE + 3
    assert results['slow'].status == 200 and results['slow'].body == b'slept'
    assert results['stream'].status == 200 and results['stream'].closed
    log = server.log_since(mark)
    assert 'slow finished: completed' in log
    assert 'stopped with 1 request(s) in flight' in log  # the endless stream, cut at the grace


@pytest.mark.parametrize('phase', ['startup', 'shutdown'])
def test_lifespan_handler_exception(server_factory: Any, phase: str) -> None:
    env = {f'TARGET_FAIL_{phase.upper()}': '1'}
    server = server_factory('asgi', 'apps.target:asgi_app', env=env, wait=phase == 'shutdown')
    if phase == 'startup':
        returncode = server.proc.wait(15)
        assert returncode != 0  # uvicorn refuses to serve an app whose startup failed
        log = server.log()
        assert 'startup failed on purpose' in log
        assert 'Application startup failed' in log
        return
    server.assert_serving()  # a failing shutdown handler does not affect serving
    mark = server.log_mark()
    _terminate(server)
    server.proc.wait(GRACE + 5)
    log = server.log_since(mark)
    assert 'shutdown failed on purpose' in log
    assert 'Application shutdown failed' in log
