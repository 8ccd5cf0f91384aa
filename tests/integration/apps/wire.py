"""Talking to the integration servers: raw HTTP over a socket, and server processes.

* ASGI apps run under **uvicorn** (``python -m uvicorn``), WSGI apps under the standard
  library's threaded **wsgiref** server (``apps/wsgi_serve.py``): a genuine PEP 3333 server that
  hands the app whatever the client sent, so lanner's own validation is what gets tested.
* The listening socket is bound to ``127.0.0.1:0`` here and inherited by the child (``--fd``),
  so the port is free by construction.
* Readiness is polled with a bound (``GET /health``); a server is stopped by its PID (SIGTERM,
  then SIGKILL after a bound), and its log is kept in a file the tests read.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

HERE = Path(__file__).resolve().parents[1]  # tests/integration: the app directory
HOST = '127.0.0.1'
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


# ---------------------------------------------------------------------------------------------
# Raw HTTP over a socket


@dataclass
class RawResponse:
    """What came back on a socket: the bytes, and the first response parsed out of them."""

    data: bytes
    closed: bool  # the server closed the connection (EOF or reset)
    timed_out: bool
    status: int | None = None
    head: bytes = b''
    body: bytes = b''
    headers: list[tuple[str, str]] = field(default_factory=list)

    def header_names(self) -> list[str]:
        return [name.lower() for name, _ in self.headers]

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def __repr__(self) -> str:
        return f'<RawResponse status={self.status} closed={self.closed} data={self.data[:300]!r}>'


def parse_response(data: bytes) -> tuple[int | None, bytes, list[tuple[str, str]], bytes]:
    """Status, head, headers and body of the first response in ``data``.

    wsgiref answers a request whose version it cannot parse the HTTP/0.9 way: an HTML error
    page without a status line. Its ``Error code: NNN`` then stands in for the status.
    """
    end = data.find(b'\r\n\r\n')
    if not data.startswith(b'HTTP/') or end < 0:
        page = re.search(rb'<p>Error code: (\d{3})</p>', data)
        if page and not data.startswith(b'HTTP/'):
            return int(page.group(1)), b'', [], data
        return None, b'', [], b''
    head = data[:end]
    lines = head.split(b'\r\n')
    match = re.match(rb'HTTP/\d\.\d (\d{3})', lines[0])
    status = int(match.group(1)) if match else None
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b':')
        headers.append((name.decode('latin-1'), value.strip().decode('latin-1')))
    return status, head, headers, data[end + 4 :]


def raw_exchange(
    port: int,
    data: bytes,
    *,
    timeout: float = 3.0,
    half_close: bool = False,
    read_until_close: bool = True,
) -> RawResponse:
    """Send ``data`` on a fresh connection and read until the server closes it (or a timeout).

    The bytes are written from a second thread while this one reads, so a server that answers
    (and closes) before it has read everything still gets its answer seen.
    """
    sock = socket.create_connection((HOST, port), timeout=timeout)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError as ex:
            errors.append(ex)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    received = bytearray()
    closed = timed_out = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                timed_out = True
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
            if not read_until_close and _complete(bytes(received)):
                break
        else:
            timed_out = True
    finally:
        thread.join(timeout)
        sock.close()
    result = RawResponse(bytes(received), closed, timed_out)
    result.status, result.head, result.headers, result.body = parse_response(result.data)
    return result


def _complete(data: bytes) -> bool:
    status, _, headers, body = parse_response(data)
    if status is None:
        return False
    for name, value in headers:
        if name.lower() == 'content-length':
            return len(body) >= int(value)
    return False


def request_bytes(
    method: str, target: str, headers: list[tuple[str, str]] | None = None, body: bytes = b''
) -> bytes:
    lines = [f'{method} {target} HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']
    for name, value in headers or ():
        lines.append(f'{name}: {value}')
    if body:
        lines.append(f'Content-Length: {len(body)}')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


# ---------------------------------------------------------------------------------------------
# Servers


@dataclass
class Server:
    kind: str  # 'asgi' or 'wsgi'
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    _log_file: Any

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, path: str = '/') -> str:
        return f'http://{HOST}:{self.port}{path}'

    def get(self, target: str, headers: list[tuple[str, str]] | None = None) -> RawResponse:
        return raw_exchange(self.port, request_bytes('GET', target, headers))

    def send(self, data: bytes, **kwargs: Any) -> RawResponse:
        return raw_exchange(self.port, data, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text('utf-8', 'replace')

    def log_mark(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, mark: int) -> str:
        with self.log_path.open('rb') as fh:
            fh.seek(mark)
            return fh.read().decode('utf-8', 'replace')

    def wait_log(self, mark: int, pattern: str, timeout: float = 3.0) -> str:
        """Wait (bounded) until the log after ``mark`` matches ``pattern``; return that log."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_since(mark)
            if re.search(pattern, text) or time.monotonic() > deadline:
                return text
            time.sleep(0.02)

    def stats(self) -> dict[str, Any]:
        response = raw_exchange(self.port, request_bytes('GET', '/_stats'))
        assert response.status == 200, response
        return json.loads(response.body)  # type: ignore[no-any-return]

    def fd_count(self) -> int:
        return len(os.listdir(f'/proc/{self.pid}/fd'))

    def assert_serving(self) -> None:
        """The server process is alive and answers a normal request."""
        assert self.proc.poll() is None, f'server exited with {self.proc.returncode}'
        response = self.get('/health')
        assert response.status == 200 and response.body == b'ok', response

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM by PID, wait (bounded), SIGKILL if needed; return the exit status."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log_file.close()
        return self.proc.returncode


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def start_server(
    kind: str,
    target: str,
    log_dir: Path,
    *,
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
    wait: bool = True,
) -> Server:
    """Start ``target`` (``module:attr`` under tests/integration) in a subprocess."""
    sock = _listening_socket()
    port = sock.getsockname()[1]
    fd = sock.fileno()
    if kind == 'asgi':
        command = [
            sys.executable,
            '-m',
            'uvicorn',
            target,
            '--fd',
            str(fd),
            '--app-dir',
            str(HERE),
            '--log-level',
            'info',
            '--no-access-log',
            '--lifespan',
            'on',
        ]
    elif kind.startswith('gunicorn-'):
        # A WSGI server that decodes chunked bodies and sets wsgi.input_terminated; one worker
        # of the class after the dash (sync, gthread), so its memory can be watched.
        command = [
            sys.executable,
            '-m',
            'gunicorn',
            target,
            '--bind',
            f'fd://{fd}',
            '--workers',
            '1',
            '--worker-class',
            kind.removeprefix('gunicorn-'),
            '--threads',
            '4',
            '--graceful-timeout',
            '3',
            '--log-level',
            'info',
        ]
    elif kind == 'lanner-serve':
        # lanner's own entry point (uvicorn, told when its shutdown begins); it binds the port
        # itself, so the socket is released first.
        command = [sys.executable, '-m', 'lanner.cli', 'serve', target, '--port', str(port)]
        sock.close()
    else:
        command = [sys.executable, '-m', 'apps.wsgi_serve', target, '--fd', str(fd)]
    command += extra_args or []
    log_path = log_dir / f'{kind}-{port}.log'
    log_file = log_path.open('wb')
    child_env = dict(os.environ)
    child_env['PYTHONPATH'] = os.pathsep.join(
        p for p in (str(HERE), child_env.get('PYTHONPATH', '')) if p
    )
    child_env['PYTHONUNBUFFERED'] = '1'
    child_env['TARGET_SERVER_LOGGING'] = '1'
    child_env.update(env or {})
    proc = subprocess.Popen(
        command,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        pass_fds=() if kind == 'lanner-serve' else (fd,),
        cwd=str(HERE),
        env=child_env,
    )
    sock.close()  # the child holds its own copy
    server = Server(kind, proc, port, log_path, log_file)
    if wait:
        try:
            wait_ready(server)
        except BaseException:
            server.stop()
            raise
    return server


def wait_ready(server: Server, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f'{server.kind} server exited early:\n{server.log()}')
        try:
            if server.get('/health').status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f'{server.kind} server not ready after {timeout} s:\n{server.log()}')


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
