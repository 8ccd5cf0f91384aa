"""Serve a WSGI app with the standard library's threaded ``wsgiref`` server (one thread per
connection), for the integration suites: ``python -m apps.wsgi_serve MODULE:ATTR --fd N``.

``--fd`` is a listening socket inherited from the parent (bound to 127.0.0.1 on a free port
before this process starts, so there is no probe-then-bind race). SIGTERM stops accepting
connections, waits up to ``--grace`` seconds for requests in flight, then exits with status 0.
Every request is logged to stderr (wsgiref's access log), as are the app's ``wsgi.errors``.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import socket
import socketserver
import sys
import threading
import time
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, sock: socket.socket, handler: type[WSGIRequestHandler]) -> None:
        # Adopt the inherited socket instead of binding a new one.
        super().__init__(sock.getsockname(), handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.server_address = sock.getsockname()
        self.server_bind_done()
        self.in_flight = 0
        self._count_lock = threading.Lock()

    def server_bind_done(self) -> None:
        host, port = self.server_address[:2]
        self.server_name = socket.getfqdn(str(host))
        self.server_port = port
        self.setup_environ()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._count_lock:
            self.in_flight += 1
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._count_lock:
                self.in_flight -= 1


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f'wsgiref: {self.address_string()} - {format % args}\n')
        sys.stderr.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('target', help='MODULE:ATTR of the WSGI app')
    parser.add_argument('--fd', type=int, required=True, help='inherited listening socket')
    parser.add_argument('--grace', type=float, default=3.0, help='seconds to drain on SIGTERM')
    args = parser.parse_args()

    module_name, _, attr = args.target.partition(':')
    app = getattr(importlib.import_module(module_name), attr)
    sock = socket.socket(fileno=args.fd)
    server = _Server(sock, _Handler)
    server.set_app(app)

    def on_term(signum: int, frame: FrameType | None) -> None:
        sys.stderr.write('wsgiref: SIGTERM received, shutting down\n')
        # shutdown() blocks until serve_forever returns, so it cannot run in this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        deadline = time.monotonic() + args.grace
        while server.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        sys.stderr.write(f'wsgiref: stopped with {server.in_flight} request(s) in flight\n')
        sys.stderr.flush()
        server.server_close()


if __name__ == '__main__':
    main()
