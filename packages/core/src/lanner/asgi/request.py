"""The ASGI request: the WSGI :class:`lanner.Request` API over an ASGI connection scope.

Only the environment-specific primitives are overridden here (raw header access, host, port,
scheme and client sources, the body stream and media); every derived property (URIs, typed
headers, cookies, parameters) is inherited, so both flavours behave identically.

Invariants:

* ``scope['headers']`` is collapsed into a ``{lower-case name: value}`` dict on first use only
  (duplicates joined with ``,`` except singleton headers, where the last one wins).
* The body stream is created on first access from ``receive`` and the first ``http.request``
  event the App already received.
"""

from __future__ import annotations

from typing import Any

from lanner import request as _request
from lanner._request.memo import LAZY_CONTEXT, memoized
from lanner.asgi.stream import BoundedStream
from lanner.constants import SINGLETON_HEADERS
from lanner.errors import HTTPInvalidHeader, HTTPMissingHeader, MediaNotFoundError, UnsupportedError
from lanner.request import RequestOptions
from lanner.request_helpers import UNSET as _UNSET
from lanner.util.structures import Context

__all__ = ('Request', 'headers_from_scope')


class _HeaderNames(dict[bytes, str]):
    """Raw header name -> decoded lower-case name, filled on first use.

    Clients choose the names, so it stops growing at a fixed size (names seen after that are
    decoded every time). An unhashable name (bytearray) raises TypeError.
    """

    __slots__ = ()

    def __missing__(self, raw_name: bytes) -> str:
        name = raw_name.decode('latin-1').lower()
        if len(self) < _HEADER_NAMES_MAX and type(raw_name) is bytes:
            self[raw_name] = name
        return name


_HEADER_NAMES = _HeaderNames()
_HEADER_NAMES_MAX = 512
_header_name = _HEADER_NAMES.__getitem__


def headers_from_scope(scope: Any) -> dict[str, str]:
    """Collapse ``scope['headers']`` into ``{lower-case name: value}`` (values latin-1 decoded).

    Repeated headers are joined with ``,`` except the singleton ones (``content-length``,
    ``host``...), where the last one wins. A one-shot iterable in the scope is materialised and
    written back, so later readers (e.g. a WebSocket connection) still see every header.
    """
    raw = scope.get('headers') or ()
    if type(raw) is list:
        # PERF: the usual list (bytes names, each once) in a tight loop: one C-level dict hit
        # per name (decoded and lower-cased once per distinct name), no repeat handling; a
        # repeated or unhashable name falls through to the general loop below. About 2% per
        # request that reads headers (headers_3_in_10_out 10.38 -> 10.17 us, headers_20 12.39
        # -> 12.11 us: medians of 4 paired runs, each the best of 150 batches).
        headers: dict[str, str] = {}
        try:
            for raw_name, raw_value in raw:
                name = _header_name(raw_name)
                if name in headers:
                    break
                headers[name] = raw_value.decode('latin-1')
            else:
                return headers
        except TypeError:
            pass
    elif not isinstance(raw, (list, tuple)):
        raw = scope['headers'] = [tuple(pair) for pair in raw]
    headers = {}
    known_name = _HEADER_NAMES.get
    for raw_name, raw_value in raw:
        # PERF: header names repeat from request to request; decoding and lower-casing each
        # distinct one once saves two calls per header.
        try:
            known = known_name(raw_name)
        except TypeError:  # an unhashable bytes-like name (bytearray)
            known = None
        if known is not None:
            name = known
        else:
            name = raw_name.decode('latin-1').lower()
            if len(_HEADER_NAMES) < _HEADER_NAMES_MAX and type(raw_name) is bytes:
                _HEADER_NAMES[raw_name] = name
        value = raw_value.decode('latin-1')
        if name in headers and name not in SINGLETON_HEADERS:
            headers[name] = f'{headers[name]},{value}'
        else:
            headers[name] = value
    return headers


_SECURE_SCHEMES = frozenset(('https', 'wss'))


class Request(_request.Request):
    """An HTTP request (or WebSocket handshake), as seen by an ASGI application.

    Args:
        scope: The ASGI connection scope.
        receive: The ASGI ``receive`` callable.
        first_event: The first ``http.request`` event, already received by the App.
        options: The App's :class:`~lanner.RequestOptions`.

    Attributes:
        scope: The ASGI connection scope.
        is_websocket: True for WebSocket handshakes (``scope['type'] == 'websocket'``).
    """

    __slots__ = ('_first_event', '_receive', 'is_websocket', 'scope')

    scope: dict[str, Any]
    is_websocket: bool

    def __init__(
        self,
        scope: dict[str, Any],
        receive: Any,
        first_event: dict[str, Any] | None = None,
        options: RequestOptions | None = None,
    ) -> None:
        self.scope = scope
        self._receive = receive
        self._first_event = first_event
        if options is None:
            options = RequestOptions()
        self.options = options
        self.is_websocket = scope.get('type') == 'websocket'
        # WebSocket handshakes are GET requests.
        self.method = scope.get('method') or 'GET'

        path = scope.get('path') or '/'
        if options.strip_url_path_trailing_slash and len(path) > 1 and path[-1] == '/':
            path = path[:-1]
        self.path = path

        raw_qs = scope.get('query_string')
        if raw_qs:
            try:
                # UTF-8 as in Falcon (raw 'café' reads as 'café').
                self.query_string = raw_qs.decode()
            except UnicodeDecodeError:
                # Servers should percent-encode, but invalid raw bytes do occur; latin-1 keeps
                # every byte distinct (and never fails) instead of turning them into a 500.
                self.query_string = raw_qs.decode('latin-1')
        else:
            self.query_string = ''
        self.uri_template = None
        self._stream = None
        # PERF: the default Context is made on first access (see Request.context).
        self._context = LAZY_CONTEXT if self.context_type is Context else self.context_type()

    @property
    def env(self) -> dict[str, Any]:  # type: ignore[override]
        """Not available on ASGI requests: use :attr:`scope`."""
        raise AttributeError(
            'An ASGI request has no WSGI environ; use req.scope for the ASGI connection scope.'
        )

    # -- headers --------------------------------------------------------------------------------

    @memoized
    def headers(self) -> dict[str, str]:
        """All request headers with lower-case names; treat as read-only."""
        return headers_from_scope(self.scope)

    @memoized
    def headers_lower(self) -> dict[str, str]:
        """Same object as :attr:`headers` (already lower-case)."""
        return self.headers

    def _raw_header(self, wsgi_key: str, lower_name: str) -> str | None:
        return self.headers.get(lower_name) or None

    def get_header(
        self, name: str, required: bool = False, default: str | None = None
    ) -> str | None:
        """Return a header's raw value, looked up case-insensitively.

        Args:
            name: Header name, e.g. ``'Content-Type'``.
            required: Raise ``HTTPMissingHeader`` (400) when the header is absent.
            default: Value to return when the header is absent and not required.
        """
        value = self.headers.get(name.lower())
        if value is not None:
            return value
        if required:
            raise HTTPMissingHeader(name)
        return default

    # -- connection -----------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        """The URL scheme (``scope['scheme']``; ``'http'``, or ``'ws'`` for WebSockets)."""
        scheme = self.scope.get('scheme')
        if scheme:
            return str(scheme)
        return 'ws' if self.is_websocket else 'http'

    def _scope_pair(self, key: str) -> Any:
        # ASGI allows any iterable here, and some test tools hand in one-shot iterators:
        # materialise it once, writing it back so every later reader sees the same pair.
        value = self.scope.get(key)
        if value is not None and not isinstance(value, (tuple, list)):
            try:
                value = self.scope[key] = tuple(value)
            except TypeError:
                return None
        return value

    def _server_name(self) -> str:
        server = self._scope_pair('server')
        if server:
            try:
                return str(server[0])
            except (TypeError, IndexError):
                pass
        return 'localhost'

    def _server_port(self) -> int:
        server = self._scope_pair('server')
        if server:
            try:
                port = server[1]
            except (TypeError, IndexError):
                port = None
            if isinstance(port, int):
                return port
        return 443 if self.scheme in _SECURE_SCHEMES else 80

    @memoized
    def root_path(self) -> str:
        """The mount point of the app (``scope['root_path']``), ``''`` at the root."""
        return str(self.scope.get('root_path') or '')

    @property
    def remote_addr(self) -> str:
        """The client's IP address (``scope['client'][0]``), ``'127.0.0.1'`` when unknown."""
        client = self._scope_pair('client')
        if client:
            try:
                host = client[0]
            except (TypeError, IndexError):
                host = None
            if host:
                return str(host)
        return '127.0.0.1'

    # -- body -----------------------------------------------------------------------------------

    @property
    def stream(self) -> BoundedStream:
        """The request body as an async :class:`~lanner.asgi.BoundedStream`.

        Raises:
            UnsupportedError: For WebSocket handshakes, which have no body.
        """
        stream = self._stream
        if stream is None:
            if self.is_websocket:
                raise UnsupportedError('A WebSocket handshake request has no body stream.')
            try:
                length = self.content_length
            except HTTPInvalidHeader:
                # The server frames the body itself; read until it says there is no more.
                length = None
            stream = self._stream = BoundedStream(
                self._receive, first_event=self._first_event, content_length=length
            )
            self._first_event = None
        return stream  # type: ignore[no-any-return]

    @stream.setter
    def stream(self, value: Any) -> None:
        self._stream = value

    @property
    def bounded_stream(self) -> BoundedStream:  # type: ignore[override]
        """Alias of :attr:`stream`."""
        return self.stream

    async def get_media(self, default_when_empty: Any = _UNSET, max_size: Any = _UNSET) -> Any:
        """Deserialise the request body with the handler for its Content-Type (cached).

        Args:
            default_when_empty: Returned (not cached) instead of raising ``MediaNotFoundError``
                when the body is empty.
            max_size: lanner addition: the largest body to accept, in bytes (default
                ``options.max_body_size``; None for no limit). Larger bodies → 413, also when
                the client sent no Content-Length.

        Raises:
            HTTPUnsupportedMediaType: No handler for the Content-Type (415).
            MediaNotFoundError: Empty body and no ``default_when_empty`` (400).
            MediaMalformedError: The body could not be parsed (400).
            HTTPContentTooLarge: The body exceeds the size limit (413).
        """
        cache = self.__dict__
        if '_media' in cache:
            return cache['_media']
        error = cache.get('_media_error')
        if error is not None:
            if default_when_empty is not _UNSET and isinstance(error, MediaNotFoundError):
                return default_when_empty
            raise error

        content_type = self.content_type
        options = self.options
        handler, _, deserialize_sync = options.media_handlers._resolve(
            content_type, options.default_media_type
        )
        limit = self._media_limit(max_size, getattr(handler, 'streams_body', False))
        stream = self.stream
        stream._limit(limit)
        try:
            if deserialize_sync is not None:
                media = deserialize_sync(await stream.read())
            else:
                media = await handler.deserialize_async(
                    stream, content_type or options.default_media_type, self.content_length
                )
        except MediaNotFoundError as err:
            cache['_media_error'] = err
            if default_when_empty is not _UNSET:
                return default_when_empty
            raise
        except Exception as err:
            cache['_media_error'] = err
            raise
        finally:
            # The limit stays on the stream: lazily parsed media (multipart forms) keep reading
            # from it after this method has returned.
            if handler.exhaust_stream and not stream.closed:
                await stream.exhaust()
        cache['_media'] = media
        return media

    @property
    def media(self) -> Any:
        """Awaitable alias of :meth:`get_media`: ``await req.media``."""
        return self.get_media()

    def log_error(self, message: str) -> None:
        """Not available on ASGI (as in Falcon): there is no ``wsgi.errors`` stream to write to.

        Raises:
            NotImplementedError: Always; log with :mod:`logging` instead.
        """
        raise NotImplementedError(
            'req.log_error() is not supported by ASGI requests (as in Falcon): there is no '
            'wsgi.errors stream. Log with the logging module instead, e.g. '
            'logging.getLogger(__name__).error(...).'
        )

    def _parse_form_urlencoded(self) -> None:
        # Not supported on ASGI (the App refuses to start with the option on).
        return None
