"""The WSGI response: status, headers, cookies and body, rendered by the App.

Invariants:

* Header names are stored lower-case in ``_headers`` (a plain dict the App reads and writes
  directly: it sets ``content-length`` and reads ``content-type``). ``Set-Cookie`` never lives
  there: raw ``append_header('Set-Cookie', ...)`` lines go to ``_extra_headers`` and cookies set
  with :meth:`Response.set_cookie` to ``_cookies``; both are emitted after the other headers.
* Every public way of setting a header validates the name (token) and the value (no control
  characters), so nothing a caller passes can inject a header or split the response.
* Body precedence: ``text`` > ``data`` > ``media`` > ``stream``. Serialised media is cached until
  ``media`` is reassigned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
import http
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from lanner import response_helpers as helpers
from lanner import status_codes as _status_codes
from lanner._request.memo import LAZY_CONTEXT
from lanner.constants import DEFAULT_MEDIA_TYPE, DEFAULT_STATIC_MEDIA_TYPES
from lanner.errors import HeaderNotSupported, UnsafeValueError
from lanner.request_helpers import UNSET as _UNSET
from lanner.util.misc import code_to_http_status, dt_to_http, http_status_to_code
from lanner.util.structures import Context
from lanner.util.uri import encode_check_escaped, encode_value

if TYPE_CHECKING:
    from http.cookies import SimpleCookie

    from lanner.media.handlers import Handlers

__all__ = ('Response', 'ResponseOptions')


def __getattr__(name: str) -> Any:
    # ``lanner.response.mimetypes`` exists as in Falcon, but is imported on first use: importing
    # it at module level would pull urllib.parse into ``import lanner``.
    if name == 'mimetypes':
        import mimetypes

        globals()['mimetypes'] = mimetypes
        return mimetypes
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def _module_mimetypes() -> Any:
    return getattr(sys.modules[__name__], 'mimetypes')  # noqa: B009 - goes through __getattr__


_SET_COOKIE_NOT_SUPPORTED = (
    'The Set-Cookie header cannot be read, set or deleted with the generic header methods; use '
    'resp.set_cookie() / resp.unset_cookie() (or resp.append_header() for a raw line).'
)

# Status line -> code for every predefined line (lanner.HTTP_200 ...), and the default.
_LINE_CODES = {
    line: int(line[:3])
    for name in _status_codes.__all__
    if isinstance(line := getattr(_status_codes, name), str) and line[:3].isdigit()
}

_CROSSORIGIN = {'anonymous': None, 'use-credentials': 'use-credentials'}

# Header names set_header/append_header have validated: raw name -> lower-case name. Never holds
# Set-Cookie (refused by set_header, a separate line for append_header), so a hit needs no other
# check. Apps use a handful of names; bounded anyway because names can come from data.
_PLAIN_NAMES: dict[str, str] = {}
_PLAIN_NAMES_MAX = 1024


class ResponseOptions:
    """Response options shared by all responses of an App (``app.resp_options``).

    Attributes:
        secure_cookies_by_default: Default for ``set_cookie(secure=None)``. Default True.
        default_media_type: Content-Type of responses that did not set one (except 204/304),
            and the type used to render ``resp.media``. Default ``'application/json'``.
        media_handlers: Response serialisers (:class:`lanner.media.Handlers`), created lazily.
        static_media_types: File extension -> Content-Type for static routes (the
            :mod:`mimetypes` map overlaid with lanner's own), computed on first access.
        xml_error_serialization: Whether the default error serializer offers XML. Default True.
        sse_keepalive_interval: lanner addition: seconds between keep-alive comments on an
            idle Server-Sent Events stream (default 15.0; None disables them).
    """

    __slots__ = (
        '_media_handlers',
        '_sse_keepalive_interval',
        '_static_media_types',
        'default_media_type',
        'secure_cookies_by_default',
        'xml_error_serialization',
    )

    secure_cookies_by_default: bool
    default_media_type: str
    xml_error_serialization: bool

    def __init__(self) -> None:
        self.secure_cookies_by_default = True
        self.default_media_type = DEFAULT_MEDIA_TYPE
        self.xml_error_serialization = True
        self._sse_keepalive_interval: float | None = 15.0
        self._media_handlers: Handlers | None = None
        self._static_media_types: dict[str, str] | None = None

    @property
    def media_handlers(self) -> Handlers:
        """Registry of response media handlers (JSON, multipart, URL-encoded by default)."""
        handlers = self._media_handlers
        if handlers is None:
            from lanner.media.handlers import Handlers

            handlers = self._media_handlers = Handlers()
        return handlers

    @media_handlers.setter
    def media_handlers(self, value: Handlers) -> None:
        self._media_handlers = value

    @property
    def sse_keepalive_interval(self) -> float | None:
        """Seconds between keep-alive comments on an idle SSE stream (None: no pings)."""
        return self._sse_keepalive_interval

    @sse_keepalive_interval.setter
    def sse_keepalive_interval(self, value: float | None) -> None:
        from lanner._sse.render import check_keepalive_interval

        # Checked here, when the app is configured, rather than when a stream starts.
        self._sse_keepalive_interval = check_keepalive_interval(value)

    @property
    def static_media_types(self) -> dict[str, str]:
        """Extension -> Content-Type used by static routes."""
        types = self._static_media_types
        if types is None:
            # mimetypes.init() reads system files; do it only when a static route needs it.
            # Read through the module attribute (see __getattr__ below) so that code replacing
            # lanner.response.mimetypes, as Falcon's tests do with falcon.response, is honoured.
            mimetypes = _module_mimetypes()
            if not mimetypes.inited:
                mimetypes.init()
            types = dict(mimetypes.types_map)
            types.update(DEFAULT_STATIC_MEDIA_TYPES)
            self._static_media_types = types
        return types

    @static_media_types.setter
    def static_media_types(self, value: dict[str, str]) -> None:
        self._static_media_types = value


def _header_property(
    name: str, doc: str, transform: Callable[[Any], str] | None = None
) -> property:
    """A read/write/delete property over one response header.

    Setting None deletes the header; ``del`` deletes it and raises KeyError if it is absent.
    """

    def fget(self: Response) -> str | None:
        return self._headers.get(name)

    def fset(self: Response, value: Any) -> None:
        # PERF: a printable-ASCII str (resp.content_type = lanner.MEDIA_TEXT) is stored after two
        # C-speed checks, without the validating helper call (hello: -0.1 us per request).
        if transform is None and type(value) is str and value.isascii() and value.isprintable():
            self._headers[name] = value
            return
        if value is None:
            self._headers.pop(name, None)
            return
        text = transform(value) if transform is not None else str(value)
        self._headers[name] = helpers.validate_header_value(name, text)

    def fdel(self: Response) -> None:
        del self._headers[name]

    return property(fget, fset, fdel, doc)


def _encode_uri(value: Any) -> str:
    return encode_check_escaped(str(value))


def _http_date(value: Any) -> str:
    if isinstance(value, datetime):
        return dt_to_http(value)
    return str(value)


class Response:
    """An HTTP response under construction.

    Args:
        options: The App's :class:`ResponseOptions`; a fresh default instance when omitted.

    Attributes:
        status: Status as a line (``'201 Created'``), an int or an :class:`http.HTTPStatus`.
            Default ``'200 OK'``.
        text: Body text (UTF-8 encoded when rendered).
        data: Raw body bytes.
        stream: A file-like object or an iterable of bytes, used when text, data and media are
            all None.
        complete: Set True in middleware to skip the remaining request processing.
        context: Per-response data bag (see :attr:`context_type`).
        options: The :class:`ResponseOptions` in effect.
    """

    __slots__ = (
        '__dict__',
        '_context',
        '_headers',
        '_media',
        '_media_rendered',
        'complete',
        'data',
        'options',
        'status',
        'stream',
        'text',
    )

    #: Factory for :attr:`context`; a plain function is called with the response.
    context_type: ClassVar[Callable[..., Any]] = Context

    #: Server-Sent Events source (lanner addition on WSGI: a sync iterator of events); the ASGI
    #: Response turns this into a validating property. A class default keeps reads cheap.
    sse: Any = None

    # PERF: attributes that most responses never set and the App reads once are class-level
    # defaults rather than slots filled in by __init__ (an instance value, when set, lives in the
    # instance __dict__). Not ``complete``: the request loop reads it several times, and a
    # slot read is about twice as fast as a class-default read.
    _extra_headers: list[tuple[str, str]] | None = None
    _cookies: SimpleCookie | None = None

    status: str | int | http.HTTPStatus
    text: str | None
    data: bytes | None
    stream: Any
    complete: bool
    options: ResponseOptions
    _headers: dict[str, str]

    def __init__(self, options: ResponseOptions | None = None) -> None:
        self.status = '200 OK'
        self._headers = {}
        self.text = None
        self.data = None
        self._media: Any = None
        self._media_rendered: Any = _UNSET
        self.stream = None
        self.complete = False
        self.options = options if options is not None else ResponseOptions()
        # PERF: the default Context is made on first access (see the ``context`` property).
        self._context: Any = LAZY_CONTEXT if self.context_type is Context else self.context_type()

    def __repr__(self) -> str:
        return f'<{type(self).__name__}: {code_to_http_status(self.status)}>'

    @property
    def context(self) -> Any:
        """Per-response data bag made by :attr:`context_type` (assignable)."""
        context = self._context
        if context is LAZY_CONTEXT:
            context = self._context = Context()
        return context

    @context.setter
    def context(self, value: Any) -> None:
        self._context = value

    # ------------------------------------------------------------------------------------------
    # Status and body
    # ------------------------------------------------------------------------------------------

    @property
    def status_code(self) -> int:
        """The status as an int; assigning sets :attr:`status`."""
        status = self.status
        if type(status) is str:
            # PERF: predefined status lines (lanner.HTTP_200 ...) are one dict hit.
            code = _LINE_CODES.get(status)
            if code is not None:
                return code
        return http_status_to_code(status)

    @status_code.setter
    def status_code(self, value: int) -> None:
        self.status = value

    @property
    def media(self) -> Any:
        """An object to serialise with the media handler for :attr:`content_type`."""
        return self._media

    @media.setter
    def media(self, value: Any) -> None:
        self._media = value
        self._media_rendered = _UNSET

    @property
    def body(self) -> Any:
        """Removed in Falcon 3: use :attr:`text`."""
        from lanner.util.deprecation import AttributeRemovedError

        raise AttributeRemovedError(
            'resp.body was removed; use resp.text for text or resp.data for bytes.'
        )

    @body.setter
    def body(self, value: Any) -> None:
        from lanner.util.deprecation import AttributeRemovedError

        raise AttributeRemovedError(
            'resp.body was removed; use resp.text for text or resp.data for bytes.'
        )

    @property
    def add_link(self) -> Any:
        """Removed: use :meth:`append_link`."""
        from lanner.util.deprecation import AttributeRemovedError

        raise AttributeRemovedError('resp.add_link() was removed; use resp.append_link().')

    def _render_media(self) -> bytes | None:
        rendered = self._media_rendered
        if rendered is _UNSET:
            content_type = self._headers.get('content-type')
            if not content_type:
                content_type = self._headers['content-type'] = self.options.default_media_type
            handler, serialize_sync, _ = self.options.media_handlers._resolve(
                content_type, self.options.default_media_type
            )
            if serialize_sync is not None:
                rendered = serialize_sync(self._media)
            else:
                rendered = handler.serialize(self._media, content_type)
            self._media_rendered = rendered
        return rendered  # type: ignore[no-any-return]

    def render_body(self) -> bytes | None:
        """Return the body bytes from text, data or media (in that order), or None.

        Raises:
            HTTPUnsupportedMediaType: ``media`` is set but no handler matches ``content_type``.
        """
        text = self.text
        if text is not None:
            # PERF: exact type check; bytes in ``text`` are tolerated and passed through.
            return text.encode() if type(text) is str else text  # type: ignore[return-value]
        data = self.data
        if data is not None:
            return data
        if self._media is not None:
            return self._render_media()
        return None

    def set_stream(self, stream: Any, content_length: int) -> None:
        """Set :attr:`stream` and the Content-Length header in one go."""
        self.stream = stream
        self._headers['content-length'] = str(int(content_length))

    # ------------------------------------------------------------------------------------------
    # Headers
    # ------------------------------------------------------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        """A copy of the headers set so far (lower-case names; cookies not included)."""
        return dict(self._headers)

    def get_header(self, name: str, default: str | None = None) -> str | None:
        """Return a header's value (case-insensitive), or ``default``.

        Raises:
            HeaderNotSupported: For ``Set-Cookie``.
        """
        lower = name.lower()
        if lower == 'set-cookie':
            raise HeaderNotSupported(_SET_COOKIE_NOT_SUPPORTED)
        return self._headers.get(lower, default)

    def set_header(self, name: str, value: Any) -> None:
        """Set a header, replacing any previous value (``value`` is ``str()``-ed).

        Raises:
            HeaderNotSupported: For ``Set-Cookie``.
            InvalidHeaderError: The name is not a token or the value contains control characters.
        """
        # PERF: the usual call (a name validated before, a printable-ASCII str value) is one
        # dict hit and two C-speed checks (str.isascii is O(1), str.isprintable one scan that is
        # False for every control character), with no helper calls: 10 headers set in 1.9 us
        # instead of 4.3 us (bench/micro, ASGI headers_3_in_10_out +9%).
        if type(value) is str and value.isascii() and value.isprintable():
            try:
                self._headers[_PLAIN_NAMES[name]] = value
                return
            except (KeyError, TypeError):
                pass
        lower = helpers.validate_header_name(name)
        if lower == 'set-cookie':
            raise HeaderNotSupported(_SET_COOKIE_NOT_SUPPORTED)
        text = value if type(value) is str else str(value)
        self._headers[lower] = helpers.validate_header_value(name, text)
        if len(_PLAIN_NAMES) < _PLAIN_NAMES_MAX:
            _PLAIN_NAMES[name] = lower

    def delete_header(self, name: str) -> None:
        """Remove a header if present.

        Raises:
            HeaderNotSupported: For ``Set-Cookie``.
        """
        lower = name.lower()
        if lower == 'set-cookie':
            raise HeaderNotSupported(_SET_COOKIE_NOT_SUPPORTED)
        self._headers.pop(lower, None)

    def append_header(self, name: str, value: Any) -> None:
        """Append a value to a header (joined with ``', '``); ``Set-Cookie`` adds a raw line."""
        # PERF: as in set_header, a known name with a printable-ASCII value skips the helpers.
        if type(value) is str and value.isascii() and value.isprintable():
            try:
                lower = _PLAIN_NAMES[name]
            except (KeyError, TypeError):
                pass
            else:
                existing = self._headers.get(lower)
                self._headers[lower] = value if existing is None else f'{existing}, {value}'
                return
        lower = helpers.validate_header_name(name)
        text = value if type(value) is str else str(value)
        helpers.validate_header_value(name, text)
        if lower == 'set-cookie':
            extra = self._extra_headers
            if extra is None:
                extra = self._extra_headers = []
            extra.append((lower, text))
            return
        existing = self._headers.get(lower)
        self._headers[lower] = text if existing is None else f'{existing}, {text}'
        if len(_PLAIN_NAMES) < _PLAIN_NAMES_MAX:
            _PLAIN_NAMES[name] = lower

    def set_headers(self, headers: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Set several headers from a mapping or an iterable of ``(name, value)`` pairs."""
        items = getattr(headers, 'items', None)
        pairs: Iterable[tuple[str, Any]] = items() if callable(items) else headers  # type: ignore[assignment]
        set_header = self.set_header
        for name, value in pairs:
            set_header(name, value)

    def append_link(
        self,
        target: str,
        rel: str,
        title: str | None = None,
        title_star: tuple[str, str] | None = None,
        anchor: str | None = None,
        hreflang: str | Iterable[str] | None = None,
        type_hint: str | None = None,
        crossorigin: str | None = None,
        link_extension: Iterable[tuple[str, str]] | None = None,
    ) -> None:
        """Append an RFC 8288 link to the Link header.

        Args:
            target: Target URI (percent-encoded; existing escapes are kept).
            rel: Relation type(s), space-separated; extension relations (URIs) are encoded.
            title: ``title`` parameter.
            title_star: ``(language, text)`` for an RFC 8187 ``title*`` parameter.
            anchor: Context URI override (percent-encoded).
            hreflang: One language tag or several.
            type_hint: ``type`` parameter (a media type).
            crossorigin: ``'anonymous'`` or ``'use-credentials'`` (case-insensitive).
            link_extension: Extra ``(param, value)`` pairs, emitted as ``; param=value``.
        """
        if ' ' in rel or '//' in rel:
            rel = ' '.join(
                encode_check_escaped(part) if '//' in part else part for part in rel.split()
            )
            rel = f'"{rel}"'
        value = f'<{encode_check_escaped(target)}>; rel={rel}'
        if title is not None:
            value += f'; title="{_quote_param(title)}"'
        if title_star is not None:
            language, text = title_star
            value += f"; title*=UTF-8'{language}'{encode_value(text)}"
        if type_hint is not None:
            value += f'; type="{_quote_param(type_hint)}"'
        if hreflang is not None:
            if isinstance(hreflang, str):
                value += f'; hreflang={hreflang}'
            else:
                value += ''.join(f'; hreflang={lang}' for lang in hreflang)
        if anchor is not None:
            value += f'; anchor="{encode_check_escaped(anchor)}"'
        if crossorigin is not None:
            key = crossorigin.lower()
            if key not in _CROSSORIGIN:
                raise ValueError(
                    "crossorigin must be 'anonymous' or 'use-credentials' (any case), "
                    f'got {crossorigin!r}.'
                )
            value += '; crossorigin' if key == 'anonymous' else '; crossorigin="use-credentials"'
        if link_extension is not None:
            value += ''.join(f'; {param}={val}' for param, val in link_extension)
        self.append_header('Link', value)

    cache_control = _header_property(
        'cache-control',
        'Cache-Control; set an iterable of directives (joined with ", ").',
        helpers.format_header_value_list,
    )
    content_location = _header_property(
        'content-location', 'Content-Location (percent-encoded when set).', _encode_uri
    )
    content_length = _header_property('content-length', 'Content-Length.')
    content_range = _header_property(
        'content-range',
        'Content-Range; set a (start, end, length[, unit]) tuple.',
        helpers.format_range,
    )
    content_type = _header_property('content-type', 'Content-Type.')
    etag = _header_property(
        'etag',
        'ETag (quoted unless the value already ends with a quote).',
        lambda value: helpers.format_etag_header(str(value)),
    )
    expires = _header_property('expires', 'Expires; set a datetime.', _http_date)
    last_modified = _header_property('last-modified', 'Last-Modified; set a datetime.', _http_date)
    location = _header_property('location', 'Location (percent-encoded when set).', _encode_uri)
    retry_after = _header_property('retry-after', 'Retry-After, in seconds.')
    vary = _header_property(
        'vary',
        'Vary; set an iterable of header names (joined with ", ").',
        helpers.format_header_value_list,
    )
    accept_ranges = _header_property('accept-ranges', 'Accept-Ranges.')
    downloadable_as = _header_property(
        'content-disposition',
        'Set Content-Disposition to download the body as the given file name.',
        lambda value: helpers.format_content_disposition(str(value), 'attachment'),
    )
    viewable_as = _header_property(
        'content-disposition',
        'Set Content-Disposition to display the body inline under the given file name.',
        lambda value: helpers.format_content_disposition(str(value), 'inline'),
    )

    # ------------------------------------------------------------------------------------------
    # Cookies
    # ------------------------------------------------------------------------------------------

    def set_cookie(
        self,
        name: str,
        value: Any,
        expires: datetime | None = None,
        max_age: int | float | str | None = None,
        domain: str | None = None,
        path: str | None = None,
        secure: bool | None = None,
        http_only: bool = True,
        same_site: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Set a response cookie (emitted as its own ``Set-Cookie`` header).

        Repeated calls for the same name update the same cookie: attributes not passed again
        keep their earlier values.

        Args:
            name: Cookie name (ASCII token; KeyError otherwise).
            value: Cookie value: a str (``ValueError`` otherwise, as in Falcon) of ASCII text
                (``UnsafeValueError``, a ValueError, otherwise).
            expires: Expiry; naive datetimes are taken as UTC.
            max_age: Seconds until expiry (``int()``-ed); ignored when falsy.
            domain: Domain attribute.
            path: Path attribute.
            secure: Secure flag; None uses ``options.secure_cookies_by_default``.
            http_only: HttpOnly flag (default True).
            same_site: ``'Lax'``, ``'Strict'`` or ``'None'`` (any case).
            partitioned: Add the ``Partitioned`` flag (CHIPS).
        """
        if not isinstance(name, str) or not name.isascii():
            raise InvalidCookieNameError(
                f'Invalid cookie name {name!r}: cookie names must be ASCII tokens.'
            )
        if not isinstance(value, str):
            # As in Falcon: only text is a cookie value (str(b'..') would send "b'..'").
            raise ValueError(
                f'Invalid value for cookie {name!r}: expected a str, got {type(value).__name__}.'
            )
        text = value
        if not text.isascii():
            raise UnsafeValueError(
                f'Invalid value for cookie {name!r}: cookie values must be ASCII; encode the '
                'value first (for example with lanner.uri.encode_value or base64).'
            )
        if same_site:
            same_site = helpers.normalise_same_site(same_site)
        if domain:
            helpers.validate_cookie_attribute('domain', domain)
        if path:
            helpers.validate_cookie_attribute('path', path)
        cookies = self._cookies
        if cookies is None:
            cookies = self._cookies = helpers.cookie_module().SimpleCookie()
        try:
            cookies[name] = text
        except helpers.cookie_module().CookieError as err:
            raise InvalidCookieNameError(f'Invalid cookie name {name!r}: {err}') from None
        morsel = cookies[name]
        if expires is not None:
            if not isinstance(expires, datetime):
                raise TypeError(
                    f'expires must be a datetime, got {type(expires).__name__}; use max_age '
                    'for a relative lifetime.'
                )
            morsel['expires'] = helpers.format_cookie_expires(expires)
        if max_age:
            morsel['max-age'] = int(max_age)
        if domain:
            morsel['domain'] = domain
        if path:
            morsel['path'] = path
        if secure is None:
            secure = self.options.secure_cookies_by_default
        if secure:
            morsel['secure'] = True
        if http_only:
            morsel['httponly'] = True
        if same_site:
            morsel['samesite'] = same_site
        if partitioned:
            morsel['partitioned'] = True

    def unset_cookie(
        self,
        name: str,
        domain: str | None = None,
        path: str | None = None,
        same_site: str = 'Lax',
        samesite: str | None = None,
    ) -> None:
        """Tell the client to delete a cookie (empty value, expiry in the past).

        Args:
            name: Cookie name.
            domain: Must match the Domain the cookie was set with.
            path: Must match the Path the cookie was set with.
            same_site: SameSite attribute to send (default ``'Lax'``, passed through as given).
            samesite: Deprecated spelling of ``same_site``.
        """
        if samesite is not None:
            import warnings

            from lanner.util.deprecation import DeprecatedWarning

            warnings.warn(
                # Falcon's wording (code matches on it).
                'The "samesite" parameter is deprecated. Please use "same_site" instead.',
                DeprecatedWarning,
                stacklevel=2,
            )
            same_site = samesite
        if not isinstance(name, str) or not name.isascii():
            raise InvalidCookieNameError(
                f'Invalid cookie name {name!r}: cookie names must be ASCII tokens.'
            )
        if domain:
            helpers.validate_cookie_attribute('domain', domain)
        if path:
            helpers.validate_cookie_attribute('path', path)
        if same_site:
            helpers.validate_cookie_attribute('same_site', same_site)
        cookies = self._cookies
        if cookies is None:
            cookies = self._cookies = helpers.cookie_module().SimpleCookie()
        try:
            cookies[name] = ''
        except helpers.cookie_module().CookieError as err:
            raise InvalidCookieNameError(f'Invalid cookie name {name!r}: {err}') from None
        morsel = cookies[name]
        # As in Falcon: -1 renders (when the header is written) as one second before "now".
        morsel['expires'] = -1
        if same_site:
            morsel['samesite'] = same_site
        if domain:
            morsel['domain'] = domain
        if path:
            morsel['path'] = path

    # ------------------------------------------------------------------------------------------
    # App contract
    # ------------------------------------------------------------------------------------------

    def _set_media_type(self, media_type: str | None = None) -> None:
        """Set Content-Type to ``media_type`` unless one is set already (Falcon's helper)."""
        if media_type is not None and 'content-type' not in self._headers:
            self._headers['content-type'] = media_type

    def _wsgi_headers(self, default_media_type: str | None = None) -> list[tuple[str, str]]:
        """All headers as ``(lower-case name, value)`` pairs, cookies last.

        Args:
            default_media_type: Content-Type to add when none was set (None: add nothing).
        """
        headers = self._headers
        if default_media_type is not None and 'content-type' not in headers:
            # Stored, not only sent: as in Falcon, resp.headers shows what went out.
            headers['content-type'] = default_media_type
        items = list(headers.items())
        if self._extra_headers:
            items.extend(self._extra_headers)
        cookies = self._cookies
        if cookies:
            items.extend(('set-cookie', morsel.OutputString()) for morsel in cookies.values())
        return items


class InvalidCookieNameError(KeyError, UnsafeValueError):
    """A cookie name that is not ASCII or not a valid token (a ``KeyError``, as in Falcon).

    Also a :class:`lanner.UnsafeValueError`, so that the App answers 400 when the name came
    from the request (a handler registered for ``KeyError`` still takes precedence).
    """

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message.
        return str(self.args[0]) if self.args else ''


def _quote_param(value: str) -> str:
    return value.replace('\\', '\\\\').replace('"', '\\"')
