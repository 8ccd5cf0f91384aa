"""Builders for WSGI environs, ASGI scopes and requests, plus small test utilities.

``create_environ`` and ``create_scope`` mimic what real servers hand an app: a percent-decoded
path (tunnelled through Latin-1 for WSGI), the raw path kept aside, a ``Host`` header with the
port only when it is not the scheme's default, and a default ``User-Agent``. ``create_scope``
deliberately exposes ``headers``, ``client`` and ``server`` as one-shot iterators, because the
ASGI spec only promises iterables: an app that indexes them or reads them twice is caught here
rather than by the first server that does not use lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
import contextlib
import io
import itertools
import random
import socket
import sys
import time
from typing import IO, TYPE_CHECKING, Any, TextIO

from lanner.constants import SINGLETON_HEADERS
from lanner.testing._asgi_events import (
    ASGILifespanEventEmitter,
    ASGIRequestEventEmitter,
    ASGIResponseEventCollector,
)
from lanner.testing._headers import (
    HeadersArg,
    get_encoding_from_headers,
    header_items,
    make_cookie_header,
)

# ClientState is also here under Falcon's name, which tests written for Falcon import.
from lanner.testing._ws_simulator import ASGIWebSocketSimulator
from lanner.testing._ws_simulator import ClientState as _WebSocketState  # noqa: F401
from lanner.testing.srmock import StartResponseMock
from lanner.util.deprecation import deprecated
from lanner.util.misc import http_now
from lanner.util.uri import decode as _uri_decode
from lanner.version import FALCON_API_VERSION, __version__

if TYPE_CHECKING:
    from lanner.asgi import Request as ASGIRequest
    from lanner.request import Request, RequestOptions

__all__ = (
    'DEFAULT_HOST',
    'DEFAULT_UA',
    'ASGILifespanEventEmitter',
    'ASGIRequestEventEmitter',
    'ASGIResponseEventCollector',
    'ASGIWebSocketSimulator',
    'StartResponseMock',
    'closed_wsgi_iterable',
    'create_asgi_req',
    'create_environ',
    'create_req',
    'create_scope',
    'create_scope_ws',
    'get_encoding_from_headers',
    'get_unused_port',
    'httpnow',
    'rand_string',
    'redirected',
)

DEFAULT_HOST = 'falconframework.org'
"""Host name used by the builders and ``simulate_*`` unless ``host`` is given."""

DEFAULT_UA = f'falcon-client/{FALCON_API_VERSION}'
"""``User-Agent`` added to simulated requests that do not set one: Falcon's client name with the
Falcon API version lanner implements, the value ``falcon.__version__`` has under lanner-falcon."""

# Falcon's create_environ() uses this fixed client port; ported tests and add-on test suites
# compare against it.
_REMOTE_PORT = '65133'

_HTTP_VERSIONS = {'2': '2', '2.0': '2', '1.1': '1.1', '1.0': '1.0', '1': '1.0'}
_SCOPE_SCHEMES = frozenset(('http', 'https', 'ws', 'wss'))
_SECURE_SCHEMES = frozenset(('https', 'wss'))

Cookies = Mapping[str, Any] | Iterable[tuple[str, Any]]


def _fixup_http_version(http_version: str) -> str:
    try:
        return _HTTP_VERSIONS[http_version]
    except (KeyError, TypeError):
        raise ValueError(
            f'Invalid http_version specified: {http_version!r}; expected one of '
            "'2', '2.0', '1.1', '1.0' or '1'."
        ) from None


def _check_query_string(query_string: str | None) -> str:
    if query_string is None:
        # None means no query string (Falcon's builders accept it too).
        return ''
    if not isinstance(query_string, str):
        raise TypeError(f'query_string must be a str, not {type(query_string).__name__}.')
    if query_string.startswith('?'):
        raise ValueError("query_string should not start with '?'")
    return query_string


def _check_path(path: str) -> None:
    if not isinstance(path, str):
        raise TypeError(f'path must be a str, not {type(path).__name__}.')
    # An empty path is what a server passes for the root of a mounted app (CGI's PATH_INFO).
    if path and not path.startswith('/'):
        raise ValueError(f"path must start with '/', got {path!r}.")


def _parse_port(port: int | str | None, scheme: str) -> int:
    if port is None:
        return 443 if scheme in _SECURE_SCHEMES else 80
    try:
        value = int(port)
    except (TypeError, ValueError):
        raise ValueError(f'port must be an int (or a str holding one), not {port!r}.') from None
    if not 0 < value < 65536:
        raise ValueError(f'port must be between 1 and 65535, not {value}.')
    return value


def _host_header(host: str, port: int, scheme: str) -> str:
    default = 443 if scheme in _SECURE_SCHEMES else 80
    return host if port == default else f'{host}:{port}'


def _normalise_root_path(root_path: str | None) -> str:
    if not root_path:
        return ''
    return root_path if root_path.startswith('/') else '/' + root_path


def _body_bytes(body: str | bytes | bytearray | memoryview | None) -> bytes:
    if body is None:
        return b''
    if isinstance(body, str):
        return body.encode('utf-8')
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    raise TypeError(
        f'body must be str or bytes, not {type(body).__name__}; serialise it first, or pass '
        'json=... (or msgpack=...) to the simulate_* functions.'
    )


def create_environ(
    path: str = '/',
    query_string: str = '',
    http_version: str = '1.1',
    scheme: str = 'http',
    host: str = DEFAULT_HOST,
    port: int | str | None = None,
    headers: HeadersArg = None,
    app: str | None = None,
    body: str | bytes = b'',
    method: str = 'GET',
    wsgierrors: TextIO | None = None,
    file_wrapper: Callable[..., Any] | None = None,
    remote_addr: str | None = None,
    root_path: str | None = None,
    cookies: Cookies | None = None,
) -> dict[str, Any]:
    """Build a PEP 3333 WSGI environ for a simulated request.

    Args:
        path: The request path; percent-escapes are decoded into ``PATH_INFO`` (tunnelled
            through Latin-1 as WSGI requires) and the raw form is kept in ``RAW_URI``.
        query_string: The raw query string, without a leading ``?``.
        http_version: ``'2'``, ``'2.0'``, ``'1.1'``, ``'1.0'`` or ``'1'``.
        scheme: The URL scheme (``wsgi.url_scheme``).
        host: The host name (``SERVER_NAME`` and the ``Host`` header; HTTP/1.0 gets none).
        port: The port (default 80 for http, 443 for https).
        headers: Request headers (a mapping or ``(name, value)`` pairs). Repeated names are
            joined with ``,`` except singleton headers, where the last wins.
        app: Deprecated alias of ``root_path``.
        body: The request body (``str`` is encoded as UTF-8).
        method: The request method.
        wsgierrors: The ``wsgi.errors`` stream (default ``sys.stderr``).
        file_wrapper: The ``wsgi.file_wrapper`` callable, if any.
        remote_addr: ``REMOTE_ADDR`` (only set when given).
        root_path: ``SCRIPT_NAME`` (a leading ``/`` is added when missing).
        cookies: Cookies to send (a ``Cookie`` header; not sent with OPTIONS).

    Returns:
        The environ dict.
    """
    _check_path(path)
    query_string = _check_query_string(query_string)
    http_version = _fixup_http_version(http_version)
    data = _body_bytes(body)
    scheme = scheme.lower()
    port_number = _parse_port(port, scheme)

    # Servers decode percent-escapes into PATH_INFO, then WSGI tunnels the UTF-8 bytes
    # through Latin-1 (a '+' in a path stays a '+').
    decoded_path = _uri_decode(path, unquote_plus=False)
    path_info = decoded_path.encode('utf-8').decode('latin-1')

    environ: dict[str, Any] = {
        'SERVER_PROTOCOL': f'HTTP/{http_version}',
        'SERVER_SOFTWARE': f'lanner-testing/{__version__}',
        'SCRIPT_NAME': _normalise_root_path(root_path or app),
        'REQUEST_METHOD': method,
        'PATH_INFO': path_info,
        'QUERY_STRING': query_string,
        'RAW_URI': path,
        'REMOTE_PORT': _REMOTE_PORT,
        'SERVER_NAME': host,
        'SERVER_PORT': str(port_number),
        'wsgi.version': (1, 0),
        'wsgi.url_scheme': scheme,
        'wsgi.input': io.BytesIO(data),
        'wsgi.errors': wsgierrors or sys.stderr,
        'wsgi.multithread': False,
        'wsgi.multiprocess': True,
        'wsgi.run_once': False,
    }
    if remote_addr:
        environ['REMOTE_ADDR'] = remote_addr
    if file_wrapper is not None:
        environ['wsgi.file_wrapper'] = file_wrapper
    if http_version != '1.0':
        environ['HTTP_HOST'] = _host_header(host, port_number, scheme)
    # A client sending Transfer-Encoding (a chunked upload) sends no Content-Length; the test
    # "server" then hands the decoded body over as a real one would (pass the extras
    # {'wsgi.input_terminated': True} to simulate a server that promises its end, as gunicorn).
    items = header_items(headers)
    if data and not any(name.lower() == 'transfer-encoding' for name, _ in items):
        environ['CONTENT_LENGTH'] = str(len(data))
    # Clients do not send cookies with OPTIONS (CORS preflight) requests.
    if cookies is not None and method != 'OPTIONS':
        environ['HTTP_COOKIE'] = make_cookie_header(cookies)

    for name, value in items:
        key = name.upper().replace('-', '_')
        if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
            key = 'HTTP_' + key
        text = '' if value is None else value.strip()
        if key not in environ or name.lower() in SINGLETON_HEADERS:
            environ[key] = text
        else:
            environ[key] += ',' + text
    environ.setdefault('HTTP_USER_AGENT', DEFAULT_UA)
    return environ


def _scope_headers(
    headers: HeadersArg,
    content_length: int | None,
    host_header: str | None,
    cookie_header: str | None,
) -> list[Iterator[bytes]]:
    prepared: list[Iterator[bytes]] = []
    seen: set[bytes] = set()
    for name, value in header_items(headers):
        try:
            raw_name = name.lower().encode('ascii')
            raw_value = b'' if value is None else value.strip().encode('latin-1')
        except UnicodeEncodeError:
            raise ValueError(
                f'Header {name!r}: {value!r} cannot be sent over ASGI; names must be ASCII '
                'and values Latin-1 (percent-encode or base64 other text).'
            ) from None
        seen.add(raw_name)
        # One-shot iterators: the ASGI spec only promises iterables.
        prepared.append(iter((raw_name, raw_value)))
    if b'user-agent' not in seen:
        prepared.append(iter((b'user-agent', DEFAULT_UA.encode('ascii'))))
    # A chunked request (Transfer-Encoding) carries no Content-Length, as from a real client.
    if (
        content_length is not None
        and b'content-length' not in seen
        and b'transfer-encoding' not in seen
    ):
        prepared.append(iter((b'content-length', str(content_length).encode('ascii'))))
    if host_header is not None and b'host' not in seen:
        prepared.append(iter((b'host', host_header.encode('latin-1'))))
    if cookie_header is not None and b'cookie' not in seen:
        prepared.append(iter((b'cookie', cookie_header.encode('latin-1'))))
    return prepared


def _create_scope_common(
    scope_type: str,
    path: str,
    query_string: str,
    headers: HeadersArg,
    host: str,
    scheme: str | None,
    port: int | str | None,
    http_version: str,
    remote_addr: str | None,
    root_path: str | None,
    content_length: int | None,
    include_server: bool,
    cookie_header: str | None,
) -> dict[str, Any]:
    _check_path(path)
    query_string = _check_query_string(query_string)
    http_version = _fixup_http_version(http_version)
    if scheme is not None and scheme not in _SCOPE_SCHEMES:
        raise ValueError(f"scheme must be either 'http', 'https', 'ws', or 'wss', not {scheme!r}.")
    effective_scheme = scheme or ('ws' if scope_type == 'websocket' else 'http')
    port_number = _parse_port(port, effective_scheme)

    scope: dict[str, Any] = {
        'type': scope_type,
        'asgi': {'version': '3.0', 'spec_version': '2.1'},
        'http_version': http_version,
        'path': _uri_decode(path, unquote_plus=False),
        # The ASGI spec's raw_path never includes a query string.
        'raw_path': path.partition('?')[0].encode('utf-8'),
        'query_string': query_string.encode('utf-8'),
    }
    root = _normalise_root_path(root_path)
    if root:
        scope['root_path'] = root
    if scheme:
        scope['scheme'] = scheme
    if remote_addr:
        # A random port from the IANA dynamic range, like a real client's.
        scope['client'] = iter((remote_addr, random.randint(49152, 65535)))
    if include_server:
        scope['server'] = iter((host, port_number))
    host_header = None
    if http_version != '1.0':
        host_header = _host_header(host, port_number, effective_scheme)
    scope['headers'] = iter(_scope_headers(headers, content_length, host_header, cookie_header))
    return scope


def create_scope(
    path: str = '/',
    query_string: str = '',
    method: str = 'GET',
    headers: HeadersArg = None,
    host: str = DEFAULT_HOST,
    scheme: str | None = None,
    port: int | str | None = None,
    http_version: str = '1.1',
    remote_addr: str | None = None,
    root_path: str | None = None,
    content_length: int | None = None,
    include_server: bool = True,
    cookies: Cookies | None = None,
) -> dict[str, Any]:
    """Build an ASGI HTTP connection scope for a simulated request.

    Args:
        path: The request path; decoded into ``path``, the raw form kept in ``raw_path``.
        query_string: The raw query string, without a leading ``?``.
        method: The request method (upper-cased).
        headers: Request headers (a mapping or ``(name, value)`` pairs).
        host: The host name (``server`` and the ``Host`` header; HTTP/1.0 gets none).
        scheme: ``'http'``, ``'https'``, ``'ws'`` or ``'wss'``; only set when given.
        port: The port (default 80, or 443 for secure schemes).
        http_version: ``'2'``, ``'2.0'``, ``'1.1'``, ``'1.0'`` or ``'1'``.
        remote_addr: The client address (``client``, with a random port; only when given).
        root_path: ``root_path`` (a leading ``/`` is added when missing).
        content_length: Adds a ``Content-Length`` header when not ``None``.
        include_server: Whether to set ``server``.
        cookies: Cookies to send (a ``Cookie`` header; not sent with OPTIONS).

    Returns:
        The scope dict (``headers``, ``client`` and ``server`` are one-shot iterators).
    """
    method = method.upper()
    cookie_header = None
    if cookies is not None and method != 'OPTIONS':
        cookie_header = make_cookie_header(cookies)
    scope = _create_scope_common(
        'http',
        path,
        query_string,
        headers,
        host,
        scheme,
        port,
        http_version,
        remote_addr,
        root_path,
        content_length,
        include_server,
        cookie_header,
    )
    scope['method'] = method
    return scope


def create_scope_ws(
    path: str = '/',
    query_string: str = '',
    headers: HeadersArg = None,
    host: str = DEFAULT_HOST,
    scheme: str | None = None,
    port: int | str | None = None,
    http_version: str = '1.1',
    remote_addr: str | None = None,
    root_path: str | None = None,
    include_server: bool = True,
    subprotocols: Iterable[str] | None = None,
    spec_version: str = '2.1',
) -> dict[str, Any]:
    """Build an ASGI WebSocket connection scope.

    Takes the arguments of :func:`create_scope` that apply to a handshake, plus:

    Args:
        subprotocols: Subprotocols the client offers, in order of preference.
        spec_version: The ASGI WebSocket spec version the simulated server speaks.

    Returns:
        The scope dict.
    """
    scope = _create_scope_common(
        'websocket',
        path,
        query_string,
        headers,
        host,
        scheme,
        port,
        http_version,
        remote_addr,
        root_path,
        None,
        include_server,
        None,
    )
    scope['asgi']['spec_version'] = spec_version
    if subprotocols:
        if isinstance(subprotocols, str):
            raise TypeError('subprotocols must be a list of str, not a single str.')
        scope['subprotocols'] = list(subprotocols)
    return scope


def create_req(options: RequestOptions | None = None, **kwargs: Any) -> Request:
    """Build a ``lanner.Request`` over ``create_environ(**kwargs)``."""
    from lanner.request import Request

    return Request(create_environ(**kwargs), options=options)


def create_asgi_req(
    body: str | bytes | None = None,
    req_type: type[ASGIRequest] | None = None,
    options: RequestOptions | None = None,
    **kwargs: Any,
) -> ASGIRequest:
    """Build a ``lanner.asgi.Request`` over ``create_scope(**kwargs)``.

    Args:
        body: The request body, served by an :class:`ASGIRequestEventEmitter`.
        req_type: The request class (default ``lanner.asgi.Request``).
        options: Request options.
        **kwargs: Passed to :func:`create_scope`; ``content_length`` defaults to the body's.
    """
    from lanner.asgi import Request as DefaultRequest

    data = _body_bytes(body)
    if data and kwargs.get('content_length') is None:
        kwargs['content_length'] = len(data)
    scope = create_scope(**kwargs)
    emitter = ASGIRequestEventEmitter(data, disconnect_at=time.time() + 300)
    cls = req_type or DefaultRequest
    return cls(scope, emitter, options=options)


def closed_wsgi_iterable(iterable: Iterable[bytes]) -> Iterator[bytes]:
    """Wrap a WSGI response iterable so that its ``close()`` is always called.

    The first chunk is fetched immediately, which forces a lazy app to call
    ``start_response``; ``close()`` runs when the iterator is exhausted or garbage-collected.
    """

    def wrapper() -> Iterator[bytes]:
        try:
            yield from iterable
        finally:
            close = getattr(iterable, 'close', None)
            if close is not None:
                close()

    wrapped = wrapper()
    head: tuple[bytes, ...]
    try:
        head = (next(wrapped),)
    except StopIteration:
        head = ()
    return itertools.chain(head, wrapped)


def rand_string(min: int, max: int) -> str:
    """A random string of printable ASCII characters, ``min`` to ``max`` long."""
    length = random.randint(min, max)
    return ''.join(chr(random.randint(32, 126)) for _ in range(length))


def get_unused_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        port: int = sock.getsockname()[1]
        return port


#: Deprecated alias of :func:`lanner.http_now` (``inspect.unwrap`` gives that function).
httpnow = deprecated('Use lanner.http_now() instead.', method_name='httpnow')(http_now)


@contextlib.contextmanager
def _redirected(stdout: IO[str], stderr: IO[str]) -> Iterator[None]:
    old_stdout, old_stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        yield
    finally:
        sys.stdout, sys.stderr = old_stdout, old_stderr


@deprecated('Please use contextlib.redirect_stdout and contextlib.redirect_stderr instead.')
def redirected(
    stdout: IO[str] = sys.stdout, stderr: IO[str] = sys.stderr
) -> contextlib.AbstractContextManager[None]:
    """Deprecated: a context manager that temporarily replaces ``sys.stdout``/``sys.stderr``."""
    return _redirected(stdout, stderr)
