"""Server processes for the soak: uvicorn on 127.0.0.1, one worker, stopped by PID.

The listening socket is bound here (``127.0.0.1:0``) and inherited by uvicorn (``--fd``), so the
port is free by construction. Falcon runs from its own virtualenv (``bench/.venv-falcon``, the
benchmark's), with the same uvicorn and h11 versions as lanner's environment: the soak installs
them there if they are missing, and says so.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
import importlib.util
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
from typing import IO, Any
import urllib.request

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / 'scripts'
HOST = '127.0.0.1'


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    log_file: IO[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def url(self, path: str) -> str:
        return f'http://{HOST}:{self.port}{path}'

    def get_json(self, path: str, timeout: float = 10.0) -> Any:
        with urllib.request.urlopen(self.url(path), timeout=timeout) as response:
            return json.loads(response.read())

    def post_json(self, path: str, doc: Any, timeout: float = 10.0) -> Any:
        request = urllib.request.Request(
            self.url(path),
            data=json.dumps(doc).encode(),
            headers={'Content-Type': 'application/json'},
            method='POST',
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def rss_kib(self) -> int:
        with open(f'/proc/{self.pid}/status') as status:
            for line in status:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        raise RuntimeError(f'no VmRSS for PID {self.pid}')

    def fd_count(self) -> int:
        return len(os.listdir(f'/proc/{self.pid}/fd'))

    def cpu_seconds(self) -> float:
        with open(f'/proc/{self.pid}/stat') as stat:
            fields = stat.read().rsplit(')', 1)[1].split()
        ticks = os.sysconf('SC_CLK_TCK')
        return (int(fields[11]) + int(fields[12])) / ticks

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text('utf-8', 'replace')
        return '\n'.join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM by PID; SIGKILL if it has not exited within ``timeout`` seconds."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log_file.close()
        return self.proc.returncode


def versions(python: str) -> dict[str, str]:
    code = (
        'import json, importlib.metadata as m\n'
        'out = {}\n'
        'for name in ("uvicorn", "h11", "websockets", "falcon", "lanner-core"):\n'
        '    try:\n'
        '        out[name] = m.version(name)\n'
        '    except m.PackageNotFoundError:\n'
        '        pass\n'
        'print(json.dumps(out))\n'
    )
    result = subprocess.run([python, '-c', code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def falcon_python(log: Any) -> str:
    """Falcon's interpreter (``bench/.venv-falcon``), with lanner's uvicorn/h11 versions."""
    # bench/run.py owns the Falcon virtualenv (and creates it on first use).
    spec = importlib.util.spec_from_file_location('lanner_bench_run', ROOT / 'bench' / 'run.py')
    assert spec is not None and spec.loader is not None
    bench_run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_run)
    python = str(bench_run.falcon_python())
    ours = versions(sys.executable)
    theirs = versions(python)
    wanted = [
        f'{name}=={ours[name]}' for name in ('uvicorn', 'h11') if theirs.get(name) != ours[name]
    ]
    if wanted:
        log(f'installing {" ".join(wanted)} into the Falcon virtualenv (same server as lanner) ...')
        subprocess.run([python, '-m', 'pip', 'install', '--quiet', *wanted], check=True)
    return python


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def start(
    name: str,
    target: str,
    log_dir: Path,
    *,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    ready_path: str = '/notes?limit=1',
    timeout: float = 30.0,
    lanner_serve: float | None = None,
) -> Server:
    """Start ``python -m uvicorn target`` serving on an inherited socket; wait until ready.

    ``lanner_serve``: run ``lanner serve`` instead (lanner's entry point, which binds the port
    itself, so the socket is released first) with this graceful timeout in seconds.
    """
    sock = _listening_socket()
    port = sock.getsockname()[1]
    command = [
        python, '-m', 'uvicorn', target,
        '--fd', str(sock.fileno()),
        '--app-dir', str(SCRIPTS),
        '--no-access-log', '--log-level', 'warning',
        '--timeout-graceful-shutdown', '5',
        '--backlog', '2048',
        # Named, not left to uvicorn's "auto": with httptools or uvloop installed in only one of
        # the two environments, the frameworks would run on different servers.
        '--http', 'h11', '--loop', 'asyncio',
    ]  # fmt: skip
    if lanner_serve is not None:
        command = [
            python, '-m', 'lanner.cli', 'serve', target, '--port', str(port),
            '--graceful-timeout', str(lanner_serve),
        ]  # fmt: skip
        sock.close()
    child_env = dict(os.environ)
    child_env['PYTHONPATH'] = os.pathsep.join([str(ROOT), str(SCRIPTS)])
    child_env.update(env or {})
    log_path = log_dir / f'{name}.log'
    log_file = log_path.open('wb')
    proc = subprocess.Popen(
        command,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        pass_fds=() if lanner_serve is not None else (sock.fileno(),),
        cwd=str(ROOT),
        env=child_env,
    )
    sock.close()
    server = Server(name, proc, port, log_path, log_file)
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            server.stop()
            raise RuntimeError(f'{name} exited during startup:\n{server.log_tail()}')
        try:
            with urllib.request.urlopen(server.url(ready_path), timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f'{name} not ready after {timeout} s:\n{server.log_tail()}')
        time.sleep(0.1)
