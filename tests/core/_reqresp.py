"""Builders for Request/Response unit tests: one description, either flavour.

``make_request(asgi, ...)`` returns a ``lanner.Request`` built from a WSGI environ or a
``lanner.asgi.Request`` built from an ASGI scope, so property tests are written once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
import io
from typing import Any

import lanner
import lanner.asgi

_UNSET: Any = object()


def environ(
    method: str = 'GET',
    path: str = '/',
    query_string: str = '',
    headers: Iterable[tuple[str, str]] | dict[str, str] | None = None,
    body: bytes = b'',
    scheme: str = 'http',
    host: str | None = 'example.com',
    server_name: str = 'localhost',
    server_port: str | None = '80',
    root_path: str = '',
    remote_addr: str | None = '10.0.0.1',
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    env: dict[str, Any] = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': root_path.encode('utf-8').decode('latin-1'),
        'PATH_INFO': path.encode('utf-8').decode('latin-1'),
        'QUERY_STRING': query_string,
        'SERVER_NAME': server_name,
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': scheme,
        'wsgi.input': io.BytesIO(body),
        'wsgi.errors': io.StringIO(),
    }
    if server_port is not None:
        env['SERVER_PORT'] = server_port
    if remote_addr is not None:
        env['REMOTE_ADDR'] = remote_addr
    if host is not None:
        env['HTTP_HOST'] = host
    items = headers.items() if isinstance(headers, dict) else (headers or ())
    for name, value in items:
        key = name.upper().replace('-', '_')
        if key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            env[key] = value
        else:
            key = 'HTTP_' + key
            # What WSGI servers do with repeated headers: join with a comma.
            env[key] = f'{env[key]},{value}' if key in env else value
    if extra:
        env.update(extra)
    return env


def scope(
    method: str = 'GET',
    path: str = '/',
    query_string: str = '',
    headers: Iterable[tuple[str, str]] | dict[str, str] | None = None,
    scheme: str = 'http',
    host: str | None = 'example.com',
    server: Any = ('localhost', 80),
    root_path: str = '',
    client: Any = ('10.0.0.1', 5000),
    scope_type: str = 'http',
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    items = list(headers.items() if isinstance(headers, dict) else (headers or ()))
    if host is not None:
        items.insert(0, ('host', host))
    result: dict[str, Any] = {
        'type': scope_type,
        'asgi': {'version': '3.0'},
        'http_version': '1.1',
        'method': method,
        'scheme': scheme,
        'path': path,
        'query_string': query_string.encode('latin-1'),
        'root_path': root_path,
        'headers': [(k.lower().encode('latin-1'), v.encode('latin-1')) for k, v in items],
    }
    if server is not _UNSET:
        result['server'] = server
    if client is not _UNSET:
        result['client'] = client
    if scope_type == 'websocket':
        result.pop('method')
    if extra:
        result.update(extra)
    return result


def receiver(body: bytes = b'', chunk_size: int | None = None) -> tuple[Any, dict[str, Any] | None]:
    """A ``receive`` callable delivering ``body`` in chunks, and the first event."""
    if chunk_size:
        pieces = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)] or [b'']
    else:
        pieces = [body]
    events = [
        {'type': 'http.request', 'body': piece, 'more_body': i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    first = events.pop(0)

    async def receive() -> dict[str, Any]:
        if events:
            return events.pop(0)
        return {'type': 'http.disconnect'}

    return receive, first


def make_request(
    asgi: bool,
    method: str = 'GET',
    path: str = '/',
    query_string: str = '',
    headers: Iterable[tuple[str, str]] | dict[str, str] | None = None,
    body: bytes = b'',
    options: lanner.RequestOptions | None = None,
    scheme: str = 'http',
    host: str | None = 'example.com',
    root_path: str = '',
    chunk_size: int | None = None,
    content_length: bool = True,
    **kwargs: Any,
) -> Any:
    hdrs = list(headers.items() if isinstance(headers, dict) else (headers or ()))
    if body and content_length and not any(k.lower() == 'content-length' for k, _ in hdrs):
        hdrs.append(('Content-Length', str(len(body))))
    if asgi:
        sc = scope(method, path, query_string, hdrs, scheme, host, root_path=root_path, **kwargs)
        receive, first = receiver(body, chunk_size)
        return lanner.asgi.Request(sc, receive, first_event=first, options=options)
    env = environ(
        method, path, query_string, hdrs, body, scheme, host, root_path=root_path, **kwargs
    )
    return lanner.Request(env, options=options)


def run(coro: Any) -> Any:
    return asyncio.run(coro) if asyncio.iscoroutine(coro) else coro


def get_media(req: Any, *args: Any, **kwargs: Any) -> Any:
    """``req.get_media(...)`` for either flavour (awaits on ASGI)."""
    return run(req.get_media(*args, **kwargs))
