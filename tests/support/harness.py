"""A minimal in-repo client that drives WSGI and ASGI callables directly.

Tests of lanner-core and of every member except lanner-testing use this instead of
``lanner.testing``, so that each distribution's tests pass with only core and that member
installed. It is deliberately small: build an environ or scope, call the app, collect the
response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
import io
import json as _json
from typing import Any
from urllib.parse import urlencode
import wsgiref.validate


@dataclass
class Result:
    status_code: int
    status: str
    headers: dict[str, str]
    header_list: list[tuple[str, str]]
    content: bytes
    chunks: list[bytes] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.content.decode('utf-8')

    @property
    def json(self) -> Any:
        return _json.loads(self.content) if self.content else None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.header_list if k == name]


def _encode_body(body: bytes | str | None, json: Any, headers: dict[str, str]) -> bytes:
    if json is not None:
        headers.setdefault('content-type', 'application/json')
        return _json.dumps(json).encode()
    if body is None:
        return b''
    return body.encode() if isinstance(body, str) else body


def _query(query_string: str | None, params: Mapping[str, Any] | None) -> str:
    if params:
        return urlencode(params, doseq=True)
    return query_string or ''


def build_environ(
    method: str,
    path: str,
    query_string: str = '',
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    body: bytes = b'',
    scheme: str = 'http',
    host: str = 'falconframework.org',
    root_path: str = '',
) -> dict[str, Any]:
    environ: dict[str, Any] = {
        'REQUEST_METHOD': method,
        'SCRIPT_NAME': root_path,
        'PATH_INFO': path.encode('utf-8').decode('latin-1'),
        'QUERY_STRING': query_string,
        'SERVER_NAME': host,
        'SERVER_PORT': '443' if scheme == 'https' else '80',
        'SERVER_PROTOCOL': 'HTTP/1.1',
        'REMOTE_ADDR': '127.0.0.1',
        'HTTP_HOST': host,
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': scheme,
        'wsgi.input': io.BytesIO(body),
        'wsgi.errors': io.StringIO(),
        'wsgi.multithread': False,
        'wsgi.multiprocess': False,
        'wsgi.run_once': False,
    }
    if body:
        environ['CONTENT_LENGTH'] = str(len(body))
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    for name, value in items:
        key = name.upper().replace('-', '_')
        if key == 'CONTENT_TYPE':
            environ['CONTENT_TYPE'] = value
        elif key == 'CONTENT_LENGTH':
            environ['CONTENT_LENGTH'] = value
        else:
            wsgi_key = 'HTTP_' + key
            if wsgi_key in environ and wsgi_key != 'HTTP_HOST':
                environ[wsgi_key] += ',' + value
            else:
                environ[wsgi_key] = value
    return environ


def build_scope(
    method: str,
    path: str,
    query_string: str = '',
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    scheme: str = 'http',
    host: str = 'falconframework.org',
    root_path: str = '',
    scope_type: str = 'http',
) -> dict[str, Any]:
    items = list(headers.items() if isinstance(headers, Mapping) else (headers or ()))
    if not any(k.lower() == 'host' for k, _ in items):
        items.insert(0, ('host', host))
    return {
        'type': scope_type,
        'asgi': {'version': '3.0', 'spec_version': '2.3'},
        'http_version': '1.1',
        'method': method,
        'scheme': scheme if scope_type == 'http' else ('wss' if scheme == 'https' else 'ws'),
        'path': path,
        'raw_path': path.encode('utf-8'),
        'query_string': query_string.encode('latin-1'),
        'root_path': root_path,
        'headers': [(k.lower().encode('latin-1'), v.encode('latin-1')) for k, v in items],
        'client': ('127.0.0.1', 61234),
        'server': (host, 443 if scheme == 'https' else 80),
    }


def call_wsgi(app: Callable[..., Any], environ: dict[str, Any], validate: bool = True) -> Result:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured['status'] = status
        captured['headers'] = headers
        return lambda data: None

    target = wsgiref.validate.validator(app) if validate else app
    iterable = target(environ, start_response)
    try:
        chunks = [bytes(chunk) for chunk in iterable]
    finally:
        close = getattr(iterable, 'close', None)
        if close is not None:
            close()
    status = captured['status']
    header_list = [(k.lower(), v) for k, v in captured['headers']]
    return Result(
        status_code=int(status[:3]),
        status=status,
        headers=_collapse(header_list),
        header_list=header_list,
        content=b''.join(chunks),
        chunks=chunks,
    )


async def call_asgi_async(
    app: Callable[..., Any], scope: dict[str, Any], body: bytes = b'', chunk_size: int | None = None
) -> Result:
    events: list[dict[str, Any]] = []
    if chunk_size:
        pieces = [body[i : i + chunk_size] for i in range(0, len(body), chunk_size)] or [b'']
    else:
        pieces = [body]
    incoming = [
        {'type': 'http.request', 'body': piece, 'more_body': i < len(pieces) - 1}
        for i, piece in enumerate(pieces)
    ]
    response_done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await response_done.wait()
        return {'type': 'http.disconnect'}

    async def send(message: dict[str, Any]) -> None:
        events.append(message)
        if message['type'] == 'http.response.body' and not message.get('more_body'):
            response_done.set()

    await app(scope, receive, send)
    start = next(e for e in events if e['type'] == 'http.response.start')
    status_code = start['status']
    header_list = [(k.decode('latin-1'), v.decode('latin-1')) for k, v in start['headers']]
    for name, _ in header_list:
        assert name == name.lower(), f'header name {name!r} is not lower-case'
    chunks = [e.get('body', b'') for e in events if e['type'] == 'http.response.body']
    from http import HTTPStatus as _S

    try:
        phrase = _S(status_code).phrase
    except ValueError:
        phrase = 'Unknown'
    return Result(
        status_code=status_code,
        status=f'{status_code} {phrase}',
        headers=_collapse(header_list),
        header_list=header_list,
        content=b''.join(chunks),
        chunks=[c for c in chunks if c],
    )


def _collapse(header_list: list[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in header_list:
        if name in headers and name != 'set-cookie':
            headers[name] += ', ' + value
        else:
            headers[name] = value
    return headers


class Client:
    """Drives one app (WSGI or ASGI) with in-memory requests."""

    def __init__(self, app: Callable[..., Any], validate_wsgi: bool = True) -> None:
        self.app = app
        from lanner.asgi import App as ASGIApp

        self.asgi = isinstance(app, ASGIApp)
        self.validate_wsgi = validate_wsgi

    def request(
        self,
        method: str,
        path: str = '/',
        *,
        query_string: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | str | None = None,
        json: Any = None,
        scheme: str = 'http',
        host: str = 'falconframework.org',
        root_path: str = '',
        chunk_size: int | None = None,
    ) -> Result:
        hdrs = dict(headers) if isinstance(headers, Mapping) else None
        header_items: Any = headers
        if hdrs is not None or headers is None:
            hdrs = hdrs or {}
            data = _encode_body(body, json, hdrs)
            header_items = hdrs
        else:
            data = _encode_body(body, json, {})
        qs = _query(query_string, params)
        if self.asgi:
            scope = build_scope(method, path, qs, header_items, scheme, host, root_path)
            if data:
                scope['headers'].append((b'content-length', str(len(data)).encode()))
            return asyncio.run(call_asgi_async(self.app, scope, data, chunk_size))
        environ = build_environ(method, path, qs, header_items, data, scheme, host, root_path)
        return call_wsgi(self.app, environ, validate=self.validate_wsgi)

    def get(self, path: str = '/', **kwargs: Any) -> Result:
        return self.request('GET', path, **kwargs)

    def post(self, path: str = '/', **kwargs: Any) -> Result:
        return self.request('POST', path, **kwargs)

    def put(self, path: str = '/', **kwargs: Any) -> Result:
        return self.request('PUT', path, **kwargs)

    def patch(self, path: str = '/', **kwargs: Any) -> Result:
        return self.request('PATCH', path, **kwargs)

    def delete(self, path: str = '/', **kwargs: Any) -> Result:
        return self.request('DELETE', path, **kwargs)

    def head(self, path: str = '/', **kwargs: Any) -> Result:
        return self.request('HEAD', path, **kwargs)

    def options(self, path: str = '/', **kwargs: Any) -> Result:
        return self.request('OPTIONS', path, **kwargs)


def new_app(asgi: bool, **kwargs: Any) -> Any:
    """An App of the given flavour; the fake router stands in when lanner-routing is absent."""
    import importlib.util

    import lanner
    import lanner.asgi

    if 'router' not in kwargs and importlib.util.find_spec('lanner.routing') is None:
        from support.simple_router import SimpleRouter

        kwargs['router'] = SimpleRouter()
    return (lanner.asgi.App if asgi else lanner.App)(**kwargs)


def _asyncify(func: Callable[..., Any]) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    wrapper.__name__ = getattr(func, '__name__', 'wrapper')
    return wrapper


def resource(asgi: bool, **responders: Callable[..., Any]) -> object:
    """Build a resource object from plain functions (``on_get=lambda req, resp: ...``).

    For ASGI apps every function is wrapped in a coroutine function, so a behaviour test can be
    written once and run against both flavours. Functions receive ``(req, resp, **params)``.
    """
    namespace: dict[str, Any] = {}
    for name, func in responders.items():
        impl = _asyncify(func) if asgi and not asyncio.iscoroutinefunction(func) else func

        def method(self: Any, *args: Any, __impl: Callable[..., Any] = impl, **kwargs: Any) -> Any:
            return __impl(*args, **kwargs)

        if asgi:

            async def amethod(
                self: Any, *args: Any, __impl: Callable[..., Any] = impl, **kwargs: Any
            ) -> Any:
                return await __impl(*args, **kwargs)

            namespace[name] = amethod
        else:
            namespace[name] = method
    return type('Resource', (), namespace)()


def middleware(asgi: bool, **methods: Callable[..., Any]) -> object:
    """Build a middleware component from plain functions, async-wrapped for ASGI apps."""
    return resource(asgi, **methods)
