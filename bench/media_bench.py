"""Media benchmarks: JSON POST, a 5 MiB multipart upload, and the memory of a 100 MiB upload.

    python bench/media_bench.py                 # lanner, WSGI and ASGI
    python bench/media_bench.py --compare       # also Falcon 4.4, if bench/.venv-falcon exists
    python bench/media_bench.py --seconds 2     # longer runs, steadier numbers

Apps are driven in-process through their WSGI/ASGI callables (no server, no sockets), so the
figures are framework cost: request parsing, media handling, response rendering. The same
application code runs on both frameworks (only the public, Falcon-compatible API is used).

Rows:
  json_post     POST of a ~1 KB JSON document, echoed back as JSON        (requests/second)
  upload_5mib   POST of a 5 MiB multipart body: one field + one file part
                streamed through part.stream to a null sink               (requests/second, MiB/s)
  upload_peak   one 100 MiB multipart upload from a synthetic body that never exists in memory:
                tracemalloc peak of everything allocated while handling it, and RSS growth
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from pathlib import Path
import resource
import subprocess
import sys
import time
import tracemalloc
from typing import Any

HERE = Path(__file__).resolve().parent
MiB = 1024 * 1024
DOC = json.dumps(
    {'id': 7, 'name': 'x' * 40, 'tags': ['a', 'b', 'c'], 'items': list(range(200))}
).encode()
BOUNDARY = 'benchboundary7MA4YWxkTrZu0gW'
CT = f'multipart/form-data; boundary={BOUNDARY}'
HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    'Content-Type: application/octet-stream\r\n\r\n'
).encode()
TAIL = f'\r\n--{BOUNDARY}--\r\n'.encode()


class NullSink:
    def write(self, data: bytes) -> int:
        return len(data)


class SyntheticInput:
    """``HEAD + filler + TAIL`` served by read(size) without ever holding the whole body."""

    def __init__(self, filler_size: int) -> None:
        self._head = HEAD
        self._left = filler_size
        self._tail = TAIL
        self._block = bytes(range(256)) * 256  # 64 KiB
        self.length = len(HEAD) + filler_size + len(TAIL)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 62
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            return data
        if self._left:
            n = min(size, self._left, len(self._block))
            self._left -= n
            return self._block[:n]
        data, self._tail = self._tail[:size], self._tail[size:]
        return data

    async def aread(self, size: int) -> bytes:
        return self.read(size)


def build_apps(fw: Any, asgi: bool) -> Any:
    if asgi:
        import importlib

        fw_asgi = importlib.import_module(f'{fw.__name__}.asgi')

        class Echo:
            async def on_post(self, req: Any, resp: Any) -> None:
                doc = await req.get_media()
                resp.media = {'received': len(doc['items'])}

        class Upload:
            async def on_post(self, req: Any, resp: Any) -> None:
                sizes = []
                async for part in await req.get_media():
                    if part.filename:
                        sink = NullSink()
                        total = 0
                        while chunk := await part.stream.read(65536):
                            total += sink.write(chunk)
                        sizes.append(total)
                    else:
                        sizes.append(len(await part.data))
                resp.media = sizes

        app = fw_asgi.App()
    else:

        class Echo:  # type: ignore[no-redef]
            def on_post(self, req: Any, resp: Any) -> None:
                doc = req.get_media()
                resp.media = {'received': len(doc['items'])}

        class Upload:  # type: ignore[no-redef]
            def on_post(self, req: Any, resp: Any) -> None:
                sizes = []
                for part in req.get_media():
                    if part.filename:
                        sink = NullSink()
                        total = 0
                        while chunk := part.stream.read(65536):
                            total += sink.write(chunk)
                        sizes.append(total)
                    else:
                        sizes.append(len(part.data))
                resp.media = sizes

        app = fw.App()
    if hasattr(app.req_options, 'max_body_size'):
        app.req_options.max_body_size = None  # lanner: allow the large uploads below
    app.add_route('/echo', Echo())
    app.add_route('/upload', Upload())
    return app


def wsgi_call(app: Any, path: str, body_stream: Any, length: int, content_type: str) -> bytes:
    environ = {
        'REQUEST_METHOD': 'POST',
        'PATH_INFO': path,
        'QUERY_STRING': '',
        'SERVER_NAME': 'localhost',
        'SERVER_PORT': '80',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'CONTENT_TYPE': content_type,
        'CONTENT_LENGTH': str(length),
        'wsgi.input': body_stream,
        'wsgi.errors': sys.stderr,
        'wsgi.url_scheme': 'http',
        'wsgi.version': (1, 0),
    }
    status: list[str] = []
    chunks = app(environ, lambda s, h, e=None: status.append(s))
    body = b''.join(chunks)
    assert status[0].startswith('200'), (status, body)
    return body


async def asgi_call(app: Any, path: str, read: Any, length: int, content_type: str) -> bytes:
    scope = {
        'type': 'http',
        'asgi': {'version': '3.0', 'spec_version': '2.3'},
        'http_version': '1.1',
        'method': 'POST',
        'scheme': 'http',
        'path': path,
        'raw_path': path.encode(),
        'query_string': b'',
        'root_path': '',
        'headers': [
            (b'host', b'localhost'),
            (b'content-type', content_type.encode()),
            (b'content-length', str(length).encode()),
        ],
        'client': ('127.0.0.1', 5000),
        'server': ('localhost', 80),
    }
    out: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        data = await read(65536)
        return {'type': 'http.request', 'body': data, 'more_body': bool(data)}

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    await app(scope, receive, send)
    assert out[0]['status'] == 200, out
    return b''.join(m.get('body', b'') for m in out[1:])


def timed(func: Any, seconds: float) -> tuple[int, float]:
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        func()
        count += 1
    return count, elapsed


class Runner:
    """Drives one app of one flavour."""

    def __init__(self, fw: Any, asgi: bool) -> None:
        self.asgi = asgi
        self.app = build_apps(fw, asgi)
        self.loop = asyncio.new_event_loop()

    def json_post(self) -> None:
        if self.asgi:
            stream = io.BytesIO(DOC)

            async def read(size: int) -> bytes:
                return stream.read(size)

            self.loop.run_until_complete(
                asgi_call(self.app, '/echo', read, len(DOC), 'application/json')
            )
        else:
            wsgi_call(self.app, '/echo', io.BytesIO(DOC), len(DOC), 'application/json')

    def upload(self, filler: int = 5 * MiB) -> None:
        body = SyntheticInput(filler)
        if self.asgi:
            self.loop.run_until_complete(
                asgi_call(self.app, '/upload', body.aread, body.length, CT)
            )
        else:
            wsgi_call(self.app, '/upload', body, body.length, CT)


def bench(fw: Any, seconds: float) -> list[tuple[str, str, str]]:
    rows = []
    for asgi in (False, True):
        flavour = 'asgi' if asgi else 'wsgi'
        runner = Runner(fw, asgi)

        runner.json_post()
        count, elapsed = timed(runner.json_post, seconds)
        rows.append((flavour, 'json_post', f'{count / elapsed:,.0f} req/s'))

        runner.upload()
        count, elapsed = timed(runner.upload, seconds)
        rate = count / elapsed
        rows.append((flavour, 'upload_5mib', f'{rate:,.1f} req/s  ({rate * 5:,.0f} MiB/s)'))
        runner.loop.close()

        # Peak memory in a fresh interpreter, so earlier rows do not hide it.
        result = subprocess.run(
            [sys.executable, __file__, '--framework', fw.__name__, '--peak', flavour],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append((flavour, 'upload_peak', result.stdout.strip()))
    return rows


def peak(fw: Any, flavour: str) -> str:
    runner = Runner(fw, flavour == 'asgi')
    runner.upload(MiB)  # warm up: imports, first allocations
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    runner.upload(100 * MiB)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return (
        f'100 MiB upload: tracemalloc peak {traced / 1024:,.0f} KiB, '
        f'max RSS {rss_before:,} KiB before, growth {rss_growth:,} KiB'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--seconds', type=float, default=1.0)
    parser.add_argument('--framework', choices=['lanner', 'falcon'], default='lanner')
    parser.add_argument('--compare', action='store_true')
    parser.add_argument('--peak', choices=['wsgi', 'asgi'], help=argparse.SUPPRESS)
    args = parser.parse_args()

    import importlib

    fw = importlib.import_module(args.framework)
    if args.peak:
        print(peak(fw, args.peak))
        return
    for flavour, row, value in bench(fw, args.seconds):
        print(f'{args.framework:7} {flavour:5} {row:12} {value}')
    if args.compare:
        python = HERE / '.venv-falcon' / 'bin' / 'python'
        if not python.exists():
            print('no bench/.venv-falcon: run bench/run.py once to create it', file=sys.stderr)
            return
        subprocess.run(
            [str(python), __file__, '--framework', 'falcon', '--seconds', str(args.seconds)],
            check=True,
        )


if __name__ == '__main__':
    main()
