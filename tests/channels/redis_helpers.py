"""A real ``redis-server`` for the tests: a free 127.0.0.1 port, a temporary folder, stopped by PID.

The server keeps an append-only file (``appendfsync always``) so that :meth:`RedisServer.restart`
behaves like a production restart with persistence: the streams, and so the replay, survive.
"""

from __future__ import annotations

from pathlib import Path
import shutil
import signal
import socket
import subprocess
import time

__all__ = ('RedisServer', 'free_port', 'redis_server_binary')


def redis_server_binary() -> str | None:
    return shutil.which('redis-server')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    def __init__(self, directory: Path, port: int | None = None) -> None:
        binary = redis_server_binary()
        assert binary is not None
        self.binary = binary
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    def start(self) -> None:
        assert self.process is None
        log = open(self.directory / 'redis.log', 'ab')
        self.process = subprocess.Popen(
            [
                self.binary,
                '--bind',
                '127.0.0.1',
                '--port',
                str(self.port),
                '--dir',
                str(self.directory),
                '--save',
                '',
                '--appendonly',
                'yes',
                '--appendfsync',
                'always',
                '--protected-mode',
                'yes',
                '--daemonize',
                'no',
                '--maxclients',
                '10000',
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.wait_ready()

    def wait_ready(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f'redis-server exited with {self.process.returncode}; see '
                    f'{self.directory / "redis.log"}'
                )
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.5) as sock:
                    sock.sendall(b'PING\r\n')
                    if sock.recv(64).startswith(b'+PONG'):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f'redis-server did not answer on port {self.port} within {timeout}s')

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # saves the append-only file and exits
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def kill(self) -> None:
        """Crash the server (SIGKILL): clients see their connections reset."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        if down_for:
            time.sleep(down_for)
        self.start()

    def command(self, *args: str) -> bytes:
        """Send one inline command and return the raw reply (for checks like PUBSUB NUMSUB)."""
        with socket.create_connection(('127.0.0.1', self.port), timeout=5) as sock:
            sock.sendall(' '.join(args).encode() + b'\r\n')
            time.sleep(0.05)
            return sock.recv(65536)
