"""A real HTTP server for end-to-end tests, on 127.0.0.1 and a free port, in a thread.

ASGI apps run under uvicorn; WSGI apps under a threaded ``wsgiref`` server (uvicorn's own WSGI
adapter is deprecated). The listening socket is bound to port 0 *before* the server starts, so
the port is free by construction (no probe-then-bind race), and only the loopback interface is
ever used. Startup is awaited with a bound and ``stop()`` always releases the thread and the
socket.
"""

from __future__ import annotations

from collections.abc import Callable
import socket
import socketserver
import threading
import time
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

__all__ = ('LiveServer',)

_HOST = '127.0.0.1'


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # Tests read responses, not access logs.
        pass


class LiveServer:
    """Serves an app on ``127.0.0.1`` in a background thread.

    Args:
        app: A WSGI or ASGI app.
        startup_timeout: Seconds to wait for the server to accept connections.
        shutdown_timeout: Seconds to wait for it to stop.

    Attributes:
        host: Always ``'127.0.0.1'``.
        port: The port (known once started).
    """

    def __init__(
        self,
        app: Callable[..., Any],
        *,
        startup_timeout: float = 10.0,
        shutdown_timeout: float = 10.0,
    ) -> None:
        from lanner.testing._app_loader import is_asgi_app

        self.app = app
        self.host = _HOST
        self.port = 0
        self.asgi = is_asgi_app(app)
        self._startup_timeout = startup_timeout
        self._shutdown_timeout = shutdown_timeout
        self._thread: threading.Thread | None = None
        self._uvicorn_server: Any = None
        self._wsgi_server: _ThreadingWSGIServer | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        return f'http://{self.host}:{self.port}'

    @property
    def ws_url(self) -> str:
        """The base WebSocket URL, e.g. ``ws://127.0.0.1:54321``."""
        return f'ws://{self.host}:{self.port}'

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start serving and wait (bounded) until the server accepts connections.

        Raises:
            ImportError: An ASGI app needs uvicorn, which is not installed.
            RuntimeError: The server failed or did not become ready in time.
        """
        if self._thread is not None:
            raise RuntimeError('This LiveServer has already been started.')
        if self.asgi:
            self._start_uvicorn()
        else:
            self._start_wsgi()
        self._wait_ready()

    def _start_uvicorn(self) -> None:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((_HOST, 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            host=_HOST,
            port=self.port,
            lifespan='auto',
            log_level='warning',
            access_log=False,
            # Connections a test leaves open (keep-alive, WebSockets) must not stall stop().
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        self._uvicorn_server = server

        def run() -> None:
            try:
                # Signal handlers are only installed in the main thread, so none are here.
                server.run(sockets=[sock])
            except BaseException as exc:  # reported by _wait_ready
                self._error = exc

        self._thread = threading.Thread(target=run, name='lanner-live-server', daemon=True)
        self._thread.start()

    def _start_wsgi(self) -> None:
        server = _ThreadingWSGIServer((_HOST, 0), _QuietHandler)
        server.set_app(self.app)
        self._wsgi_server = server
        self.port = server.server_address[1]

        def run() -> None:
            try:
                server.serve_forever(poll_interval=0.05)
            except BaseException as exc:  # reported by _wait_ready
                self._error = exc

        self._thread = threading.Thread(target=run, name='lanner-live-server', daemon=True)
        self._thread.start()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        thread = self._thread
        assert thread is not None
        while True:
            if self._error is not None or not thread.is_alive():
                self.stop()
                raise RuntimeError(
                    f'The live server for {self.app!r} stopped during startup'
                    + (f': {self._error!r}' if self._error is not None else '')
                    + ". Check the app's lifespan startup (process_startup) handlers."
                ) from self._error
            if self._accepting():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f'The live server did not accept connections within '
                    f'{self._startup_timeout} seconds; startup may be stuck in a '
                    'process_startup handler.'
                )
            time.sleep(0.01)

    def _accepting(self) -> bool:
        if self._uvicorn_server is not None and not self._uvicorn_server.started:
            return False
        try:
            with socket.create_connection((_HOST, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        """Stop the server and wait (bounded) for its thread; safe to call more than once."""
        thread, self._thread = self._thread, None
        if self._uvicorn_server is not None:
            self._uvicorn_server.should_exit = True
            if thread is not None:
                thread.join(self._shutdown_timeout)
                if thread.is_alive():
                    # Open connections (e.g. a WebSocket the test left open) delay a graceful
                    # exit; force it rather than leak the thread.
                    self._uvicorn_server.force_exit = True
                    thread.join(self._shutdown_timeout)
        if self._wsgi_server is not None:
            if thread is not None and thread.is_alive():
                self._wsgi_server.shutdown()
            self._wsgi_server.server_close()
            if thread is not None:
                thread.join(self._shutdown_timeout)
        if self._socket is not None:
            self._socket.close()
            self._socket = None
