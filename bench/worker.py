"""Benchmark worker: measures one framework in this interpreter and prints JSON results.

Usage: python bench/worker.py FRAMEWORK SECONDS [ONLY]

FRAMEWORK is lanner or falcon (the shared scenarios in ``scenarios.py``), raw (hand-written
callables) or a peer with its own ``peer_<name>.py`` (blacksheep, starlette, litestar).

Each scenario is timed in requests per CPU-second (time.process_time), calling the WSGI app
with a prebuilt environ and the ASGI app with a prebuilt scope inside one event loop, so only
the framework's own work is measured. Every response is checked once before timing. The time
for a scenario is cut into slices and the best slice counts (see ``_measure``).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import io
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios

EXPECTED = {
    'hello': 200,
    'path_params_50_routes': 200,
    'query_params': 200,
    'json_post_1k': 200,
    'headers_20': 200,
    'headers_3_in_10_out': 200,
    'not_found_404': 404,
    'middleware_3_noop': 200,
    'raised_400': 400,
    'json_response_64k': 200,
}


def _environ(spec: dict[str, Any]) -> dict[str, Any]:
    body = spec.get('body', b'')
    env = {
        'REQUEST_METHOD': spec['method'],
        'SCRIPT_NAME': '',
        'PATH_INFO': spec['path'],
        'QUERY_STRING': spec.get('query', ''),
        'SERVER_NAME': 'localhost',
        'SERVER_PORT': '80',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REMOTE_ADDR': '127.0.0.1',
        'HTTP_HOST': 'localhost',
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': 'http',
        'wsgi.input': io.BytesIO(body),
        'wsgi.errors': sys.stderr,
        'wsgi.multithread': False,
        'wsgi.multiprocess': False,
        'wsgi.run_once': False,
    }
    if body:
        env['CONTENT_LENGTH'] = str(len(body))
    for name, value in spec.get('headers', ()):
        key = name.upper().replace('-', '_')
        env[key if key in ('CONTENT_TYPE', 'CONTENT_LENGTH') else 'HTTP_' + key] = value
    return env


def _scope(spec: dict[str, Any]) -> dict[str, Any]:
    headers = [(b'host', b'localhost')] + [
        (k.encode(), v.encode()) for k, v in spec.get('headers', ())
    ]
    if spec.get('body'):
        headers.append((b'content-length', str(len(spec['body'])).encode()))
    return {
        'type': 'http',
        'asgi': {'version': '3.0', 'spec_version': '2.3'},
        'http_version': '1.1',
        'method': spec['method'],
        'scheme': 'http',
        'path': spec['path'],
        'raw_path': spec['path'].encode(),
        'query_string': spec.get('query', '').encode(),
        'root_path': '',
        'headers': headers,
        'client': ('127.0.0.1', 50000),
        'server': ('localhost', 80),
    }


def bench_wsgi(app: Any, spec: dict[str, Any], seconds: float, name: str) -> float:
    env = _environ(spec)
    body = spec.get('body', b'')
    status: list[str] = []

    def start_response(s: str, headers: Any, exc_info: Any = None) -> None:
        status.append(s)

    def once() -> None:
        env['wsgi.input'] = io.BytesIO(body)
        result = app(env, start_response)
        for _ in result:
            pass
        if hasattr(result, 'close'):
            result.close()

    once()
    assert int(status[-1][:3]) == EXPECTED[name], (name, status[-1])
    return _measure(once, seconds)


def bench_asgi(app: Any, spec: dict[str, Any], seconds: float, name: str) -> float:
    scope = _scope(spec)
    request_event = {'type': 'http.request', 'body': spec.get('body', b''), 'more_body': False}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return request_event

    async def send(message: dict[str, Any]) -> None:
        if message['type'] == 'http.response.start':
            sent.append(message)

    loop = asyncio.new_event_loop()
    if 'startup' in spec:  # frameworks that must be started before they serve (BlackSheep)
        loop.run_until_complete(spec['startup']())

    async def batch(n: int) -> None:
        for _ in range(n):
            await app(dict(scope), receive, send)

    loop.run_until_complete(batch(1))
    assert sent[-1]['status'] == EXPECTED[name], (name, sent[-1]['status'])
    try:
        return _measure(lambda n=200: loop.run_until_complete(batch(n)), seconds, per_call=200)
    finally:
        loop.close()


def _measure(func: Any, seconds: float, per_call: int = 1, slices: int = 5) -> float:
    """Requests per CPU-second: the best of ``slices`` slices of ``seconds / slices`` each.

    Taking the best slice (as timeit recommends taking the minimum) rejects bursts of
    interference from other processes on a shared machine, for both frameworks alike.
    """
    # Warm up, then time whole batches in CPU seconds (after a full collection, so garbage from
    # building the apps is not charged to the first scenario).
    gc.collect()
    for _ in range(max(1, 200 // per_call)):
        func()
    batch = max(1, 100 // per_call)
    best = 0.0
    for _ in range(slices):
        count = 0
        start = time.process_time()
        deadline = start + seconds / slices
        while True:
            for _ in range(batch):
                func()
            count += batch * per_call
            now = time.process_time()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


PEERS = ('blacksheep', 'starlette', 'litestar')


def _distribution_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return '?'


def main() -> None:
    framework, seconds = sys.argv[1], float(sys.argv[2])
    only = sys.argv[3].split(',') if len(sys.argv) > 3 and sys.argv[3] else None
    if framework == 'raw':
        import raw_apps

        fw, build = raw_apps, raw_apps.build
    elif framework in PEERS:
        fw = importlib.import_module(framework)
        build = importlib.import_module(f'peer_{framework}').build
    else:
        fw, build = importlib.import_module(framework), scenarios.build
    results: dict[str, dict[str, float]] = {'wsgi': {}, 'asgi': {}}
    for flavour, runner in (('wsgi', bench_wsgi), ('asgi', bench_asgi)):
        for name, (app, spec) in build(fw, flavour == 'asgi').items():
            if only and name not in only:
                continue
            results[flavour][name] = runner(app, spec, seconds, name)
    version = _distribution_version(framework) if framework in PEERS else fw.__version__
    print(json.dumps({'framework': framework, 'version': version, 'results': results}))


if __name__ == '__main__':
    main()
