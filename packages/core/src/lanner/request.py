"""The WSGI request: a lazy, memoised view over the WSGI environ.

Invariants:

* ``__init__`` reads only ``REQUEST_METHOD``, ``PATH_INFO`` and ``QUERY_STRING``; every other
  attribute is computed on first access and cached on the instance (see
  :mod:`lanner._request.memo`). Nothing is parsed that the application does not ask for.
* Header parsing errors become the documented 4xx errors (``HTTPInvalidHeader`` and friends)
  carrying Falcon's titles and descriptions; they never escape as ``ValueError`` (a 500).
* The ASGI request (:mod:`lanner.asgi.request`) subclasses this class and overrides only the
  environment-specific primitives (raw header access, host/port/scheme sources, the stream and
  media), so every derived property is written once.

What lives where: this module holds the raw header access, URI parts, proxy headers, content
negotiation, cookies and the body; the typed header properties (``content_type``,
``content_length``, dates, ETags, ``range``, ``get_header_as_*``) are the
:class:`~lanner._request.headers.TypedHeadersMixin`, and the query string (``params``,
``get_param*``) is the :class:`~lanner._request.params.QueryParamsMixin`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, cast

from lanner import request_helpers as helpers
from lanner._app.header_limits import (
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_HEADER_COUNT,
    NO_LIMIT,
    check_header_limit,
    header_value_too_large,
    headers_too_large,
)
from lanner._request.headers import TypedHeadersMixin
from lanner._request.memo import LAZY_CONTEXT, memoized
from lanner._request.params import QueryParamsMixin
from lanner.constants import DEFAULT_MAX_BODY_SIZE, DEFAULT_MEDIA_TYPE, MEDIA_JSON
from lanner.errors import (
    HTTPContentTooLarge,
    HTTPInvalidHeader,
    HTTPMissingHeader,
    MediaNotFoundError,
)
from lanner.forwarded import parse_forwarded_header
from lanner.request_helpers import UNSET as _UNSET
from lanner.stream import BoundedStream
from lanner.util.mediatypes import best_match, quality
from lanner.util.structures import Context
from lanner.util.uri import parse_query_string

if TYPE_CHECKING:
    from typing import IO

    from lanner.forwarded import Forwarded
    from lanner.media.handlers import Handlers

__all__ = ('Request', 'RequestOptions')


# DEFAULT_MAX_BODY_SIZE (4 MiB, in lanner.constants): generous for JSON/msgpack/form bodies,
# small enough that a hostile client cannot make the process buffer an arbitrary amount of
# memory through ``get_media()``.


class RequestOptions:
    """Request-processing options shared by all requests of an App (``app.req_options``).

    Attributes:
        keep_blank_qs_values: Keep query parameters whose value is empty (``?a=`` -> ``''``).
            Default True.
        auto_parse_qs_csv: Split query parameter values on literal commas into lists.
            Default False.
        strip_url_path_trailing_slash: Strip one trailing ``/`` from ``req.path`` (never from
            ``/`` itself). Default False.
        default_media_type: Media type assumed when a request has no Content-Type (or ``*/*``);
            also the default for ``get_param_as_media``. Default ``'application/json'``.
        media_handlers: The request deserialisers (:class:`lanner.media.Handlers`), created on
            first access so that building options stays cheap.
        auto_parse_form_urlencoded: Deprecated (as in Falcon): merge URL-encoded form bodies
            into ``req.params`` (WSGI only). Use ``req.get_media()`` instead.
        max_body_size: lanner addition. The largest request body, in bytes, that
            ``get_media()`` will deserialise (413 ``HTTPContentTooLarge`` beyond it).
            Default 4 MiB; ``None`` disables the check. ``get_media(max_size=...)`` overrides it
            per call.
        max_header_bytes: lanner addition. The most bytes the request's header fields may
            total (names and values); beyond it the App answers 431 Request Header Fields Too
            Large before any middleware runs. Default 64 KiB; ``None`` disables the check.
        max_header_count: lanner addition. The most header fields a request may carry (431
            beyond it). Default 100; ``None`` disables the check. On WSGI the server has
            already joined repeated fields, so each distinct name counts once there.
    """

    __slots__ = (
        '_auto_parse_form_urlencoded',
        '_max_body_size',
        '_max_header_bytes',
        '_max_header_count',
        '_media_handlers',
        'auto_parse_qs_csv',
        'default_media_type',
        'keep_blank_qs_values',
        'strip_url_path_trailing_slash',
    )

    keep_blank_qs_values: bool
    auto_parse_qs_csv: bool
    strip_url_path_trailing_slash: bool
    default_media_type: str

    def __init__(self) -> None:
        self.keep_blank_qs_values = True
        self.auto_parse_qs_csv = False
        self.strip_url_path_trailing_slash = False
        self.default_media_type = DEFAULT_MEDIA_TYPE
        self._max_body_size: int | None = DEFAULT_MAX_BODY_SIZE
        # Read by both request loops on every request: plain ints (None is stored as NO_LIMIT).
        self._max_header_bytes = DEFAULT_MAX_HEADER_BYTES
        self._max_header_count = DEFAULT_MAX_HEADER_COUNT
        self._auto_parse_form_urlencoded = False
        self._media_handlers: Handlers | None = None

    @property
    def max_body_size(self) -> int | None:
        """Largest request body (bytes) ``get_media()`` accepts; None disables the limit."""
        return self._max_body_size

    @max_body_size.setter
    def max_body_size(self, value: int | None) -> None:
        self._max_body_size = _check_body_limit(value, 'RequestOptions.max_body_size')

    @property
    def max_header_bytes(self) -> int | None:
        """Most bytes the header fields may total (431 beyond it); None disables the limit."""
        value = self._max_header_bytes
        return None if value == NO_LIMIT else value

    @max_header_bytes.setter
    def max_header_bytes(self, value: int | None) -> None:
        self._max_header_bytes = check_header_limit(value, 'max_header_bytes')

    @property
    def max_header_count(self) -> int | None:
        """Most header fields a request may carry (431 beyond it); None disables the limit."""
        value = self._max_header_count
        return None if value == NO_LIMIT else value

    @max_header_count.setter
    def max_header_count(self, value: int | None) -> None:
        self._max_header_count = check_header_limit(value, 'max_header_count')

    @property
    def media_handlers(self) -> Handlers:
        """Registry of request media handlers (JSON, multipart, URL-encoded by default)."""
        handlers = self._media_handlers
        if handlers is None:
            from lanner.media.handlers import Handlers

            handlers = self._media_handlers = Handlers()
        return handlers

    @media_handlers.setter
    def media_handlers(self, value: Handlers) -> None:
        self._media_handlers = value

    @property
    def auto_parse_form_urlencoded(self) -> bool:
        """Deprecated: merge URL-encoded form bodies into ``req.params`` (WSGI only)."""
        return self._auto_parse_form_urlencoded

    @auto_parse_form_urlencoded.setter
    def auto_parse_form_urlencoded(self, value: bool) -> None:
        if value:
            import warnings

            from lanner.util.deprecation import DeprecatedWarning

            warnings.warn(
                'The RequestOptions.auto_parse_form_urlencoded option is deprecated; '
                'use req.get_media() to read URL-encoded forms instead.',
                DeprecatedWarning,
                stacklevel=2,
            )
        self._auto_parse_form_urlencoded = bool(value)


class Request(TypedHeadersMixin, QueryParamsMixin):
    """An HTTP request, as seen by a WSGI application.

    Args:
        env: The WSGI environ dict.
        options: The App's :class:`RequestOptions`; a fresh default instance when omitted.

    Attributes:
        env: The WSGI environ.
        method: The request method (upper-case), e.g. ``'GET'``.
        path: The request path, ``'/'`` when empty. Writable: ``process_request`` may assign a
            new path to re-route the request.
        query_string: The raw query string without ``?`` (``''`` when absent).
        uri_template: The template of the matched route, or None before routing.
        context: Per-request data bag (see :attr:`context_type`).
        options: The :class:`RequestOptions` in effect.
        is_websocket: Always False for WSGI requests.
    """

    __slots__ = (
        '__dict__',
        '_context',
        '_stream',
        'env',
        'method',
        'options',
        'path',
        'query_string',
        'uri_template',
    )

    #: Factory for :attr:`context`. A class is instantiated without arguments; a plain function
    #: is called like a method, i.e. with the request as its only argument.
    context_type: ClassVar[Callable[..., Any]] = Context

    is_websocket: bool = False

    # Falcon's shape, read by add-ons (sentry-sdk) to see a body parsed earlier without reading
    # the stream: the sentinel until get_media() succeeds, which stores the result in the
    # instance __dict__ (that entry shadows this class attribute).
    _media: Any = _UNSET

    env: dict[str, Any]
    method: str
    path: str
    query_string: str
    options: RequestOptions
    uri_template: str | None

    def __init__(self, env: dict[str, Any], options: RequestOptions | None = None) -> None:
        self.env = env
        if options is None:
            options = RequestOptions()
        self.options = options
        self.method = env['REQUEST_METHOD']

        # PEP 3333 tunnels the raw path bytes through latin-1; re-decode them as UTF-8 so that
        # non-ASCII paths read naturally. Invalid UTF-8 becomes U+FFFD rather than an error.
        path = env.get('PATH_INFO') or '/'
        if not path.isascii():
            path = _redecode_wsgi_str(path)
        if options.strip_url_path_trailing_slash and len(path) > 1 and path[-1] == '/':
            path = path[:-1]
        self.path = path

        self.query_string = env.get('QUERY_STRING', '')
        self.uri_template = None
        self._stream: Any = None
        # PERF: the default Context is made on first access (see the ``context`` property).
        self._context: Any = LAZY_CONTEXT if self.context_type is Context else self.context_type()

        if options._auto_parse_form_urlencoded:
            self._parse_form_urlencoded()

    def __repr__(self) -> str:
        return f'<{type(self).__name__}: {self.method} {self.url!r}>'

    @property
    def context(self) -> Any:
        """Per-request data bag made by :attr:`context_type` (assignable)."""
        context = self._context
        if context is LAZY_CONTEXT:
            context = self._context = Context()
        return context

    @context.setter
    def context(self, value: Any) -> None:
        self._context = value

    # ------------------------------------------------------------------------------------------
    # Raw header access. These three are the only header primitives the ASGI request overrides.
    # ------------------------------------------------------------------------------------------

    # The WSGI byte limit (RequestOptions.max_header_bytes, lanner._app.header_limits) is checked
    # here, where values are read, not on every request: one comparison per value read, and
    # the total summed while req.headers iterates the environ anyway.

    def _raw_header(self, wsgi_key: str, lower_name: str) -> str | None:
        # Empty values count as missing, as in Falcon (CGI servers set CONTENT_TYPE='' freely).
        value = self.env.get(wsgi_key)
        if value and len(value) > self.options._max_header_bytes:
            header_value_too_large(lower_name, len(value), self.options._max_header_bytes)
        return value or None

    @memoized
    def headers(self) -> dict[str, str]:
        """All request headers, names upper-case with dashes (``'X-FOO'``); treat as read-only.

        431 when the fields total more than ``RequestOptions.max_header_bytes`` (names without
        ``HTTP_``, plus values).
        """
        env = self.env
        headers: dict[str, str] = {}
        size = 0
        for key, value in env.items():
            if key.startswith('HTTP_'):
                name = key[5:]
                headers[name.replace('_', '-')] = value
                size += len(name) + len(value)
        content_type = env.get('CONTENT_TYPE')
        if content_type:
            headers['CONTENT-TYPE'] = content_type
            size += 12 + len(content_type)
        content_length = env.get('CONTENT_LENGTH')
        if content_length:
            headers['CONTENT-LENGTH'] = content_length
            size += 14 + len(content_length)
        if size > self.options._max_header_bytes:
            headers_too_large(0, size, NO_LIMIT, self.options._max_header_bytes)
        return headers

    @memoized
    def headers_lower(self) -> dict[str, str]:
        """All request headers with lower-case names."""
        return {name.lower(): value for name, value in self.headers.items()}

    def get_header(
        self, name: str, required: bool = False, default: str | None = None
    ) -> str | None:
        """Return a header's raw value, looked up case-insensitively.

        Args:
            name: Header name, e.g. ``'Content-Type'``.
            required: Raise ``HTTPMissingHeader`` (400) when the header is absent.
            default: Value to return when the header is absent and not required.
        """
        key = helpers.header_to_wsgi_key(name)
        value = self.env.get(key)
        # CGI-style servers set CONTENT_TYPE/CONTENT_LENGTH to '' when absent.
        if value is not None and (value or key[0] == 'H'):
            value = str(value)
            if len(value) > self.options._max_header_bytes:
                header_value_too_large(name, len(value), self.options._max_header_bytes)
            return value
        if required:
            raise HTTPMissingHeader(name)
        return default

    # ------------------------------------------------------------------------------------------
    # URI parts
    # ------------------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        """The URL scheme used by the client connection (``'http'`` or ``'https'``)."""
        return str(self.env.get('wsgi.url_scheme', 'http'))

    def _server_name(self) -> str:
        return str(self.env.get('SERVER_NAME', 'localhost'))

    def _server_port(self) -> int:
        port = self.env.get('SERVER_PORT')
        if port:
            try:
                return int(port)
            except ValueError:
                pass
        return 443 if self.scheme == 'https' else 80

    @memoized
    def host(self) -> str:
        """The Host header without its port, else the server name."""
        host_header = self._raw_header('HTTP_HOST', 'host')
        if host_header:
            return helpers.split_host(host_header, None)[0]
        return self._server_name()

    @memoized
    def port(self) -> int:
        """The port from Host (80/443 by scheme if Host has none), else the server port."""
        host_header = self._raw_header('HTTP_HOST', 'host')
        if host_header:
            default = 443 if self.scheme in ('https', 'wss') else 80
            port = helpers.split_host(host_header, default)[1]
            return default if port is None else port
        return self._server_port()

    @memoized
    def netloc(self) -> str:
        """The Host header verbatim, else ``server_name[:port]`` (port omitted if default)."""
        host_header = self._raw_header('HTTP_HOST', 'host')
        if host_header:
            return host_header
        name = self._server_name()
        port = self._server_port()
        scheme = self.scheme
        if (scheme in ('https', 'wss') and port == 443) or (
            scheme in ('http', 'ws') and port == 80
        ):
            return name
        return f'{name}:{port}'

    @property
    def subdomain(self) -> str | None:
        """The text of ``host`` before its first dot, or None if it has no dot."""
        head, sep, _ = self.host.partition('.')
        return head if sep else None

    @memoized
    def root_path(self) -> str:
        """The mount point of the app (WSGI ``SCRIPT_NAME``), ``''`` when mounted at the root."""
        script_name = self.env.get('SCRIPT_NAME') or ''
        if script_name and not script_name.isascii():
            script_name = _redecode_wsgi_str(script_name)
        return str(script_name)

    @property
    def app(self) -> str:
        """Deprecated alias of :attr:`root_path`."""
        import warnings

        from lanner.util.deprecation import DeprecatedWarning

        warnings.warn(
            'req.app is deprecated; use req.root_path instead.', DeprecatedWarning, stacklevel=2
        )
        return self.root_path

    @memoized
    def relative_uri(self) -> str:
        """``root_path + path``, plus ``'?' + query_string`` when there is one."""
        qs = self.query_string
        if qs:
            return f'{self.root_path}{self.path}?{qs}'
        return self.root_path + self.path

    @memoized
    def uri(self) -> str:
        """The full URI as the client addressed it: ``scheme://netloc/root/path?query``."""
        return f'{self.scheme}://{self.netloc}{self.relative_uri}'

    @property
    def url(self) -> str:
        """Alias of :attr:`uri`."""
        return self.uri

    @property
    def prefix(self) -> str:
        """``scheme://netloc`` plus :attr:`root_path`."""
        return f'{self.scheme}://{self.netloc}{self.root_path}'

    @memoized
    def forwarded(self) -> list[Forwarded] | None:
        """The parsed RFC 7239 ``Forwarded`` header (best effort), or None when missing."""
        value = self._raw_header('HTTP_FORWARDED', 'forwarded')
        if value is None:
            return None
        return parse_forwarded_header(value)

    @memoized
    def forwarded_scheme(self) -> str:
        """The scheme the client used, as reported by a proxy (Forwarded / X-Forwarded-Proto)."""
        forwarded = self.forwarded
        if forwarded is not None:
            first = forwarded[0] if forwarded else None
            if first is not None and first.scheme:
                return first.scheme.lower()
            return self.scheme
        proto = self._raw_header('HTTP_X_FORWARDED_PROTO', 'x-forwarded-proto')
        if proto:
            return proto.lower()
        return self.scheme

    @memoized
    def forwarded_host(self) -> str:
        """The host the client addressed, as reported by a proxy, else :attr:`netloc`."""
        forwarded = self.forwarded
        if forwarded is not None:
            first = forwarded[0] if forwarded else None
            if first is not None and first.host:
                return first.host
            return self.netloc
        host = self._raw_header('HTTP_X_FORWARDED_HOST', 'x-forwarded-host')
        if host:
            return host
        return self.netloc

    @memoized
    def forwarded_uri(self) -> str:
        """``forwarded_scheme://forwarded_host`` plus :attr:`relative_uri`."""
        return f'{self.forwarded_scheme}://{self.forwarded_host}{self.relative_uri}'

    @property
    def forwarded_prefix(self) -> str:
        """``forwarded_scheme://forwarded_host`` plus :attr:`root_path`."""
        return f'{self.forwarded_scheme}://{self.forwarded_host}{self.root_path}'

    @property
    def remote_addr(self) -> str:
        """The IP address of the peer (``REMOTE_ADDR``), ``'127.0.0.1'`` when unknown."""
        return str(self.env.get('REMOTE_ADDR') or '127.0.0.1')

    @memoized
    def access_route(self) -> list[str]:
        """Client and proxy addresses, client first (Forwarded, X-Forwarded-For, X-Real-IP)."""
        route: list[str] = []
        forwarded = self.forwarded
        if forwarded is not None:
            for hop in forwarded:
                if hop.src is not None:
                    route.append(_strip_port(hop.src))
        else:
            xff = self._raw_header('HTTP_X_FORWARDED_FOR', 'x-forwarded-for')
            if xff is not None:
                route = [ip.strip() for ip in xff.split(',')]
            else:
                real_ip = self._raw_header('HTTP_X_REAL_IP', 'x-real-ip')
                if real_ip is not None:
                    route = [real_ip]
        remote = self.remote_addr
        if not route or route[-1] != remote:
            route.append(remote)
        return route

    # ------------------------------------------------------------------------------------------
    # Content negotiation
    # ------------------------------------------------------------------------------------------

    def client_accepts(self, media_type: str) -> bool:
        """Whether the client's Accept header admits ``media_type`` (False if it is malformed)."""
        accept = self.accept
        if accept == media_type or accept == '*/*':
            return True
        try:
            return quality(media_type, accept) > 0.0
        except ValueError:
            return False

    @property
    def client_accepts_json(self) -> bool:
        """Whether the client accepts ``application/json``."""
        return self.client_accepts(MEDIA_JSON)

    @property
    def client_accepts_msgpack(self) -> bool:
        """Whether the client accepts ``application/x-msgpack`` or ``application/msgpack``."""
        return self.client_accepts('application/x-msgpack') or self.client_accepts(
            'application/msgpack'
        )

    @property
    def client_accepts_xml(self) -> bool:
        """Whether the client accepts ``application/xml``."""
        return self.client_accepts('application/xml')

    def client_prefers(self, media_types: Iterable[str]) -> str | None:
        """Return the candidate the client prefers most (ties go to the earlier candidate).

        Args:
            media_types: Candidates, in decreasing order of the server's preference.

        Returns:
            The best candidate, or None when none is acceptable or Accept is malformed.
        """
        candidates = tuple(media_types)
        accept = self.accept
        try:
            if len(accept) <= _PREFERS_CACHE_MAX_ACCEPT:
                # PERF: error responses negotiate the same candidates against the same few
                # Accept values over and over; the parsing and ranking is cached.
                preferred = _cached_best_match(candidates, accept)
            else:
                preferred = best_match(candidates, accept)
        except ValueError:
            return None
        return preferred or None

    # ------------------------------------------------------------------------------------------
    # Cookies
    # ------------------------------------------------------------------------------------------

    @memoized
    def _cookie_values(self) -> dict[str, list[str]]:
        value = self._raw_header('HTTP_COOKIE', 'cookie')
        return helpers.parse_cookie_header(value) if value else {}

    @memoized
    def cookies(self) -> dict[str, str]:
        """Cookie name -> first value sent (names are case-sensitive)."""
        return {name: values[0] for name, values in self._cookie_values.items()}

    def get_cookie_values(self, name: str) -> list[str] | None:
        """All values sent for cookie ``name``, in header order, or None."""
        values = self._cookie_values.get(name)
        return list(values) if values is not None else None

    # ------------------------------------------------------------------------------------------
    # Body
    # ------------------------------------------------------------------------------------------

    @property
    def stream(self) -> Any:
        """The server's raw input stream (``wsgi.input``); may block past Content-Length.

        lanner addition: for a body sent without Content-Length that the server decoded and
        terminated (``wsgi.input_terminated``), this is :attr:`bounded_stream`, so that a
        malformed chunk is a 400 and the body limits apply as they do for a sized body.
        """
        stream = self._stream
        if stream is None:
            env = self.env
            stream = env['wsgi.input']
            if (
                'HTTP_TRANSFER_ENCODING' in env
                and env.get('wsgi.input_terminated')
                and not env.get('CONTENT_LENGTH')
            ):
                stream = BoundedStream(stream, None)
                self.__dict__['bounded_stream'] = stream
            self._stream = stream
        return stream

    @stream.setter
    def stream(self, value: Any) -> None:
        self._stream = value
        self.__dict__.pop('bounded_stream', None)

    @memoized
    def bounded_stream(self) -> BoundedStream:
        """``wsgi.input`` wrapped so that reads stop at Content-Length.

        Without a Content-Length, the body is read to its end when the server promises
        ``wsgi.input_terminated`` (it decoded a chunked body, as gunicorn does); otherwise it
        is empty (the App refuses chunked requests on such a server with 411). An invalid
        Content-Length also reads as empty.
        """
        try:
            length = self.content_length
        except HTTPInvalidHeader:
            length = 0
        if length is None and not self.env.get('wsgi.input_terminated'):
            length = 0
        return BoundedStream(self.stream, length)

    @property
    def max_body_size(self) -> int | None:
        """The body limit ``get_media()`` applies to this request (lanner addition).

        Defaults to ``options.max_body_size``; assigning it (as the
        ``lanner.media.max_body_size`` route decorator does) overrides the limit for this
        request only. ``get_media(max_size=...)`` still takes precedence.
        """
        limit = self.__dict__.get('_route_max_body_size', _UNSET)
        return self.options.max_body_size if limit is _UNSET else limit

    @max_body_size.setter
    def max_body_size(self, value: int | None) -> None:
        self.__dict__['_route_max_body_size'] = _check_body_limit(value, 'req.max_body_size')

    def _media_limit(self, max_size: Any, streams_body: bool = False) -> int | None:
        """The body limit for this call; 413 right away when Content-Length exceeds it.

        A handler that streams the body (``streams_body``) is held only to a limit given for
        this call or route, not to ``options.max_body_size``.
        """
        limit: int | None
        if max_size is _UNSET:
            route_limit = self.__dict__.get('_route_max_body_size', _UNSET)
            if route_limit is not _UNSET:
                limit = route_limit
            else:
                limit = None if streams_body else self.options.max_body_size
        else:
            limit = _check_body_limit(max_size, 'get_media(max_size=...)')
        if limit is not None:
            length = self.content_length
            if length is not None and length > limit:
                raise HTTPContentTooLarge(
                    description=(
                        f'The request body is {length} bytes, but at most {limit} bytes are '
                        'accepted here.'
                    )
                )
        return limit

    def get_media(self, default_when_empty: Any = _UNSET, max_size: Any = _UNSET) -> Any:
        """Deserialise the request body with the handler for its Content-Type (cached).

        Args:
            default_when_empty: Returned (not cached) instead of raising ``MediaNotFoundError``
                when the body is empty.
            max_size: lanner addition: the largest body to accept, in bytes (default
                ``options.max_body_size``; None for no limit). Larger bodies → 413.

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
        handlers = self.options.media_handlers
        handler, _, deserialize_sync = handlers._resolve(
            content_type, self.options.default_media_type
        )
        limit = self._media_limit(max_size, getattr(handler, 'streams_body', False))
        stream = self.bounded_stream
        if stream.stream_len is None:
            # No Content-Length to check up front: count while reading (413 past the limit).
            stream._limit(limit)
        try:
            if deserialize_sync is not None:
                media = deserialize_sync(stream.read())
            else:
                media = handler.deserialize(
                    cast('IO[bytes]', stream),
                    content_type or self.options.default_media_type,
                    self.content_length,
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
            if handler.exhaust_stream:
                stream.exhaust()
        cache['_media'] = media
        return media

    @property
    def media(self) -> Any:
        """Alias of :meth:`get_media` (no default)."""
        return self.get_media()

    # ------------------------------------------------------------------------------------------
    # Misc
    # ------------------------------------------------------------------------------------------

    def log_error(self, message: str) -> None:
        """Write ``message`` to ``wsgi.errors`` with a timestamp and the request line."""
        from time import localtime, strftime

        now = strftime('%Y-%m-%d %H:%M:%S', localtime())
        qs = f'?{self.query_string}' if self.query_string else ''
        line = f'{now} [LANNER] [ERROR] {self.method} {self.path}{qs} => {message}\n'
        errors = self.env.get('wsgi.errors')
        if errors is None:
            import sys

            errors = sys.stderr
        errors.write(line)

    def _parse_form_urlencoded(self) -> None:
        """Deprecated Falcon behaviour: merge a URL-encoded body into ``params`` (WSGI only)."""
        if self.method in ('GET', 'HEAD'):
            return
        content_type = self.content_type
        if not content_type or 'application/x-www-form-urlencoded' not in content_type:
            return
        try:
            length = self.content_length
        except HTTPInvalidHeader:
            return
        stream = self.bounded_stream
        if not length and stream.stream_len is not None:
            return
        if stream.stream_len is None:
            # A chunked form: no Content-Length was checked, so the body limit applies here.
            stream._limit(self.max_body_size)
        body = stream.read()
        try:
            text = body.decode('ascii')
        except UnicodeDecodeError:
            self.log_error(
                'Non-ASCII characters found in form body with Content-Type '
                'application/x-www-form-urlencoded. Body will be ignored.'
            )
            return
        if not text:
            return
        options = self.options
        extra = parse_query_string(
            text, keep_blank=options.keep_blank_qs_values, csv=options.auto_parse_qs_csv
        )
        params = self.params
        for key, value in extra.items():
            if key in params:
                existing = params[key]
                merged = existing if type(existing) is list else [existing]
                merged.extend(value if type(value) is list else [value])
                params[key] = merged
            else:
                params[key] = value


# Accept values longer than this are negotiated without the cache, so that hostile clients
# cannot make the (bounded) cache hold large strings.
_PREFERS_CACHE_MAX_ACCEPT = 256


@lru_cache(maxsize=128)
def _cached_best_match(candidates: tuple[str, ...], accept: str) -> str:
    return best_match(candidates, accept)


def _check_body_limit(value: Any, what: str) -> int | None:
    """Validate a body size limit set by the app: None or a non-negative int."""
    if value is not None and (type(value) is not int or value < 0):
        raise ValueError(
            f'{what} must be None (no limit) or a non-negative number of bytes, got {value!r}.'
        )
    return value


def _redecode_wsgi_str(value: str) -> str:
    """Undo PEP 3333's latin-1 tunnelling of raw bytes and decode them as UTF-8."""
    try:
        return value.encode('latin-1').decode('utf-8', 'replace')
    except UnicodeEncodeError:
        # Not latin-1 tunnelled at all (a non-conforming server): use it as given.
        return value


def _strip_port(addr: str) -> str:
    """Drop the port from a Forwarded ``for=`` node (``1.2.3.4:80``, ``[::1]:80``)."""
    if addr.startswith('['):
        end = addr.find(']')
        if end != -1:
            return addr[1:end]
        return addr
    if addr.count(':') == 1:
        return addr.partition(':')[0]
    return addr
