"""Bare WSGI and ASGI callables used to test the test tools without lanner-core in the loop.

Both echo what the simulated server handed them, normalised to one shape so a test can make
the same assertions for either flavour.
"""

from __future__ import annotations

from collections.abc import Callable
import json
from typing import Any


def _wsgi_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith('HTTP_'):
            headers[key[5:].replace('_', '-').lower()] = value
        elif key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            headers[key.replace('_', '-').lower()] = value
    return headers


def wsgi_echo(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    length = int(environ.get('CONTENT_LENGTH') or 0)
    body = environ['wsgi.input'].read(length) if length else b''
    info = {
        'method': environ['REQUEST_METHOD'],
        'path': environ['PATH_INFO'].encode('latin-1').decode('utf-8'),
        'raw_path': environ.get('RAW_URI'),
        'query_string': environ['QUERY_STRING'],
        'headers': _wsgi_headers(environ),
        'body': body.decode('latin-1'),
        'scheme': environ['wsgi.url_scheme'],
        'server_port': int(environ['SERVER_PORT']),
        'root_path': environ['SCRIPT_NAME'],
        'remote_addr': environ.get('REMOTE_ADDR'),
        'http_version': environ['SERVER_PROTOCOL'][5:],
        'extra': environ.get('x.extra'),
    }
    data = json.dumps(info).encode()
    start_response(
        '200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(data)))]
    )
    return [data]


async def handle_lifespan(receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    while True:
        event = await receive()
        if event['type'] == 'lifespan.startup':
            await send({'type': 'lifespan.startup.complete'})
        elif event['type'] == 'lifespan.shutdown':
            await send({'type': 'lifespan.shutdown.complete'})
            return


async def asgi_echo(scope: dict[str, Any], receive: Callable[..., Any], send: Any) -> None:
    if scope['type'] == 'lifespan':
        await handle_lifespan(receive, send)
        return
    body = b''
    events = []
    while True:
        event = await receive()
        events.append(event['type'])
        if event['type'] != 'http.request':
            break
        body += event.get('body', b'')
        if not event.get('more_body'):
            break
    headers: dict[str, str] = {}
    for name, value in scope['headers']:
        key = name.decode('latin-1')
        headers[key] = headers[key] + ',' + value.decode() if key in headers else value.decode()
    client = scope.get('client')
    server = scope.get('server')
    info = {
        'method': scope['method'],
        'path': scope['path'],
        'raw_path': scope['raw_path'].decode(),
        'query_string': scope['query_string'].decode(),
        'headers': headers,
        'body': body.decode('latin-1'),
        'scheme': scope.get('scheme', 'http'),
        'server_port': list(server)[1] if server is not None else None,
        'root_path': scope.get('root_path', ''),
        'remote_addr': next(iter(client)) if client is not None else None,
        'http_version': scope['http_version'],
        'extra': scope.get('x.extra'),
        'events': events,
    }
    data = json.dumps(info).encode()
    await send(
        {
            'type': 'http.response.start',
            'status': 200,
            'headers': [(b'content-type', b'application/json')],
        }
    )
    await send({'type': 'http.response.body', 'body': data})
