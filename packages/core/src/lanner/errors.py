"""Predefined HTTP errors (``HTTPNotFound`` ...) and lanner's non-HTTP exception classes.

Every HTTP error class accepts the keyword-only arguments of :class:`~lanner.HTTPError`
(``title``, ``description``, ``headers``, ``href``, ``href_text``, ``code``) unless its
docstring says otherwise, and defaults ``title`` to its status line. Classes with a special
argument (``allowed_methods``, ``challenges``, ``retry_after``, ``resource_length``) turn it into
a header that overrides a same-named entry of ``headers``; a ``headers`` dict is updated in
place, a list of pairs is converted to a dict first.

Construction is cheap (these are raised per request on 404/400 paths): status lines are module
constants and the default title is the status line itself.
"""

from __future__ import annotations

import datetime
from typing import Any
import warnings

from lanner import status_codes as _sc
from lanner.http_error import HTTPError
from lanner.util.deprecation import DeprecatedWarning
from lanner.util.misc import dt_to_http

__all__ = (
    'CompatibilityError',
    'DelimiterError',
    'HTTPBadGateway',
    'HTTPBadRequest',
    'HTTPConflict',
    'HTTPContentTooLarge',
    'HTTPError',
    'HTTPFailedDependency',
    'HTTPForbidden',
    'HTTPGatewayTimeout',
    'HTTPGone',
    'HTTPInsufficientStorage',
    'HTTPInternalServerError',
    'HTTPInvalidHeader',
    'HTTPInvalidParam',
    'HTTPLengthRequired',
    'HTTPLocked',
    'HTTPLoopDetected',
    'HTTPMethodNotAllowed',
    'HTTPMissingHeader',
    'HTTPMissingParam',
    'HTTPNetworkAuthenticationRequired',
    'HTTPNotAcceptable',
    'HTTPNotFound',
    'HTTPNotImplemented',
    'HTTPPayloadTooLarge',
    'HTTPPreconditionFailed',
    'HTTPPreconditionRequired',
    'HTTPRangeNotSatisfiable',
    'HTTPRequestHeaderFieldsTooLarge',
    'HTTPRouteNotFound',
    'HTTPServiceUnavailable',
    'HTTPTooManyRequests',
    'HTTPUnauthorized',
    'HTTPUnavailableForLegalReasons',
    'HTTPUnprocessableEntity',
    'HTTPUnsupportedMediaType',
    'HTTPUriTooLong',
    'HTTPVersionNotSupported',
    'HeaderNotSupported',
    'InvalidMediaRange',
    'InvalidMediaType',
    'MediaMalformedError',
    'MediaNotFoundError',
    'MediaValidationError',
    'MultipartParseError',
    'OperationNotAllowed',
    'PayloadTypeError',
    'UnsafeValueError',
    'UnsupportedError',
    'UnsupportedScopeError',
    'WebSocketDisconnected',
    'WebSocketHandlerNotFound',
    'WebSocketPathNotFound',
    'WebSocketServerError',
)

Headers = dict[str, str] | list[tuple[str, str]] | None


# --------------------------------------------------------------------------------------------
# Non-HTTP exceptions
# --------------------------------------------------------------------------------------------


class CompatibilityError(ValueError):
    """Sync and async code were mixed (e.g. a coroutine sink on a WSGI app)."""


class HeaderNotSupported(ValueError):
    """The header cannot be used with this method (``Set-Cookie``: use the cookie methods)."""


class InvalidMediaType(ValueError):
    """A media type lacks the ``type/subtype`` form."""


class InvalidMediaRange(InvalidMediaType):
    """An Accept-style media range (or its ``q`` value) is malformed."""


class UnsafeValueError(ValueError):
    """A value refused because it is unsafe on the wire (lanner addition).

    Raised when a value would reach the response as a header, cookie, ``Location`` or SSE field
    but contains CR, LF, NUL or other control characters, or characters outside Latin-1 in a
    header: sent as is, it could inject a header, split the response or break the event stream.
    :class:`lanner.response_helpers.InvalidHeaderError`, the cookie, redirect and SSE refusals
    are subclasses or instances of it.

    Both Apps install a default error handler for it: it logs one warning line (logger
    ``lanner``) naming what was refused and answers ``400 Bad Request`` without echoing the
    value, since such values almost always come from the request. Register your own handler for
    this class to answer differently.
    """


class UnsupportedScopeError(RuntimeError):
    """The ASGI server sent a scope type or spec version lanner does not support."""


class UnsupportedError(RuntimeError):
    """The operation is not supported here (e.g. an unsupported HTTP version in the scope)."""


class OperationNotAllowed(ValueError):
    """The operation is not allowed in the object's current state (e.g. a closed stream)."""


class DelimiterError(OSError):
    """A buffered reader did not find the delimiter it was asked to read up to."""


class PayloadTypeError(TypeError):
    """A WebSocket message did not carry the expected payload type (text vs binary)."""


class WebSocketDisconnected(ConnectionError):
    """The WebSocket connection was closed or lost.

    Args:
        code: The close code; defaults to 1000 (normal closure).

    Attributes:
        code: The close code.
    """

    def __init__(self, code: int | None = None) -> None:
        if code is None:
            code = 1000
        super().__init__(f'The WebSocket connection was closed (close code {code}).')
        self.code = code


class WebSocketPathNotFound(WebSocketDisconnected):
    """The test simulator's WebSocket was denied because no route matched (3404)."""


class WebSocketHandlerNotFound(WebSocketDisconnected):
    """The test simulator's WebSocket was denied because the resource has no ``on_websocket``."""


class WebSocketServerError(WebSocketDisconnected):
    """The test simulator's WebSocket was closed because the app raised an error (1011)."""


# --------------------------------------------------------------------------------------------
# Helpers for the special-argument classes
# --------------------------------------------------------------------------------------------


def _with_header(headers: Headers, name: str, value: str) -> dict[str, str]:
    if headers is None:
        return {name: value}
    if not isinstance(headers, dict):
        headers = dict(headers)
    headers[name] = value
    return headers


def _retry_after_value(retry_after: int | datetime.datetime | str) -> str:
    if isinstance(retry_after, datetime.datetime):
        return dt_to_http(retry_after)
    return str(retry_after)


class _PredefinedError(HTTPError):
    """Shared base of the predefined error classes: the status is a class attribute.

    Every subclass takes the keyword-only ``title``, ``description`` and ``headers`` plus
    :class:`~lanner.HTTPError`'s other keyword arguments (``href``, ``href_text``, ``code``)
    through ``**kwargs``; anything else is a ``TypeError`` from ``HTTPError.__init__``.
    """

    __slots__ = ()

    #: The status line of the class, e.g. ``lanner.HTTP_404``.
    _status: str

    def __init__(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        headers: Headers = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            HTTPError.__init__(
                self, self._status, title=title, description=description, headers=headers, **kwargs
            )
            return
        # PERF: errors are raised per request on 404/400 paths; without href/code this sets the
        # six attributes directly instead of forwarding keyword arguments to HTTPError.__init__.
        # The status line is its own default title, as in HTTPError.__init__.
        status = self._status
        self.status = status
        self.title = status if title is None else title
        self.description = description
        self.headers = headers
        self.code = None
        self.link = None


# --------------------------------------------------------------------------------------------
# 4xx
# --------------------------------------------------------------------------------------------


class HTTPBadRequest(_PredefinedError):
    """400 Bad Request: the request is malformed."""

    _status = _sc.HTTP_400


class HTTPInvalidHeader(HTTPBadRequest):
    """400: a header has an invalid value.

    Title ``Invalid header value``; description
    ``The value provided for the "<header_name>" header is invalid. <msg>``. ``title`` and
    ``description`` cannot be passed.

    Args:
        msg: What is wrong with the value.
        header_name: The header's name.
    """

    def __init__(self, msg: str, header_name: str, *, headers: Headers = None, **kwargs: Any):
        super().__init__(
            title='Invalid header value',
            description=f'The value provided for the "{header_name}" header is invalid. {msg}',
            headers=headers,
            **kwargs,
        )


class HTTPMissingHeader(HTTPBadRequest):
    """400: a required header is missing (description ``The "<name>" header is required.``).

    Args:
        header_name: The header's name.
    """

    def __init__(self, header_name: str, *, headers: Headers = None, **kwargs: Any):
        super().__init__(
            title='Missing header value',
            description=f'The "{header_name}" header is required.',
            headers=headers,
            **kwargs,
        )


class HTTPInvalidParam(HTTPBadRequest):
    """400: a parameter has an invalid value.

    Description ``The "<param_name>" parameter is invalid. <msg>``.

    Args:
        msg: What is wrong with the value.
        param_name: The parameter's name.
    """

    def __init__(self, msg: str, param_name: str, *, headers: Headers = None, **kwargs: Any):
        super().__init__(
            title='Invalid parameter',
            description=f'The "{param_name}" parameter is invalid. {msg}',
            headers=headers,
            **kwargs,
        )


class HTTPMissingParam(HTTPBadRequest):
    """400: a required parameter is missing.

    Args:
        param_name: The parameter's name.
    """

    def __init__(self, param_name: str, *, headers: Headers = None, **kwargs: Any):
        super().__init__(
            title='Missing parameter',
            description=f'The "{param_name}" parameter is required.',
            headers=headers,
            **kwargs,
        )


class MediaNotFoundError(HTTPBadRequest):
    """400: the request body is empty but media was expected.

    Title ``Invalid <media_type>``, description ``Could not parse an empty <media_type> body``.

    Args:
        media_type: A label for the media type, such as ``'JSON'`` or ``'MessagePack'``.
    """

    def __init__(self, media_type: str, **kwargs: Any) -> None:
        super().__init__(
            title=f'Invalid {media_type}',
            description=f'Could not parse an empty {media_type} body',
            **kwargs,
        )


class MediaMalformedError(HTTPBadRequest):
    """400: the request body could not be parsed.

    Title ``Invalid <media_type>``. The description is computed:
    ``Could not parse <media_type> body``, plus `` - <cause>`` when the error was raised
    ``from`` another exception. Assigning a description has no effect.

    Args:
        media_type: A label for the media type, such as ``'JSON'``.
    """

    def __init__(self, media_type: str, **kwargs: Any) -> None:
        self._media_type = media_type
        super().__init__(title=f'Invalid {media_type}', **kwargs)

    @property
    def description(self) -> str | None:
        """``Could not parse <media_type> body`` (`` - <cause>`` appended when chained)."""
        text = f'Could not parse {self._media_type} body'
        cause = self.__cause__
        if cause is not None:
            text = f'{text} - {cause}'
        return text

    @description.setter
    def description(self, value: str | None) -> None:
        # Deliberately ignored: the description is always derived from the media type.
        pass


class MediaValidationError(HTTPBadRequest):
    """400: the request media failed schema validation (the cause is in ``__cause__``)."""


class MultipartParseError(MediaMalformedError):
    """400: a multipart/form-data body is malformed.

    Title ``Malformed multipart/form-data request media``; ``description`` is used as given.
    """

    def __init__(self, *, description: str | None = None, **kwargs: Any) -> None:
        # Skip MediaMalformedError.__init__: the title is fixed and the description is stored.
        self._media_type = 'multipart/form-data'
        HTTPBadRequest.__init__(
            self,
            title='Malformed multipart/form-data request media',
            description=description,
            **kwargs,
        )

    @property
    def description(self) -> str | None:
        """The description as given."""
        return self._description

    @description.setter
    def description(self, value: str | None) -> None:
        self._description = value


class HTTPUnauthorized(_PredefinedError):
    """401 Unauthorized.

    Keyword Args:
        challenges: Authentication challenges (e.g. ``['Bearer realm="api"']``); they become
            ``WWW-Authenticate: <c1>, <c2>``.
    """

    _status = _sc.HTTP_401

    def __init__(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        headers: Headers = None,
        challenges: list[str] | tuple[str, ...] | None = None,
        **kwargs: Any,
    ) -> None:
        if challenges:
            headers = _with_header(headers, 'WWW-Authenticate', ', '.join(challenges))
        super().__init__(title=title, description=description, headers=headers, **kwargs)


class HTTPForbidden(_PredefinedError):
    """403 Forbidden."""

    _status = _sc.HTTP_403


class HTTPNotFound(_PredefinedError):
    """404 Not Found."""

    _status = _sc.HTTP_404


class HTTPRouteNotFound(HTTPNotFound):
    """404 raised when no route matches; handle it to customise only routing misses."""


class HTTPMethodNotAllowed(_PredefinedError):
    """405 Method Not Allowed.

    Args:
        allowed_methods: The methods the resource supports; they become ``Allow: GET, PUT``.
    """

    _status = _sc.HTTP_405

    def __init__(
        self,
        allowed_methods: list[str] | tuple[str, ...],
        *,
        title: str | None = None,
        description: str | None = None,
        headers: Headers = None,
        **kwargs: Any,
    ) -> None:
        headers = _with_header(headers, 'Allow', ', '.join(allowed_methods))
        super().__init__(title=title, description=description, headers=headers, **kwargs)


class HTTPNotAcceptable(_PredefinedError):
    """406 Not Acceptable."""

    _status = _sc.HTTP_406


class HTTPConflict(_PredefinedError):
    """409 Conflict."""

    _status = _sc.HTTP_409


class HTTPGone(_PredefinedError):
    """410 Gone."""

    _status = _sc.HTTP_410


class HTTPLengthRequired(_PredefinedError):
    """411 Length Required."""

    _status = _sc.HTTP_411


class HTTPPreconditionFailed(_PredefinedError):
    """412 Precondition Failed."""

    _status = _sc.HTTP_412


class _RetryAfterError(_PredefinedError):
    """A predefined error that also takes ``retry_after`` (seconds or a datetime)."""

    def __init__(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        headers: Headers = None,
        retry_after: int | datetime.datetime | None = None,
        **kwargs: Any,
    ) -> None:
        if retry_after is not None:
            headers = _with_header(headers, 'Retry-After', _retry_after_value(retry_after))
        super().__init__(title=title, description=description, headers=headers, **kwargs)


class HTTPContentTooLarge(_RetryAfterError):
    """413 Content Too Large.

    Keyword Args:
        retry_after: Seconds (int) or a datetime after which the client may retry; becomes
            ``Retry-After``.
    """

    _status = _sc.HTTP_413


class HTTPPayloadTooLarge(HTTPContentTooLarge):
    """Deprecated alias of :class:`HTTPContentTooLarge` (warns on construction)."""

    def __init__(self, **kwargs: Any) -> None:
        warnings.warn(
            'HTTPPayloadTooLarge is deprecated; use HTTPContentTooLarge instead.',
            DeprecatedWarning,
            stacklevel=2,
        )
        super().__init__(**kwargs)


class HTTPUriTooLong(_PredefinedError):
    """414 URI Too Long."""

    _status = _sc.HTTP_414


class HTTPUnsupportedMediaType(_PredefinedError):
    """415 Unsupported Media Type."""

    _status = _sc.HTTP_415


class HTTPRangeNotSatisfiable(_PredefinedError):
    """416 Range Not Satisfiable.

    Args:
        resource_length: The full length of the resource; becomes
            ``Content-Range: bytes */<resource_length>``.
    """

    _status = _sc.HTTP_416

    def __init__(
        self,
        resource_length: int,
        *,
        title: str | None = None,
        description: str | None = None,
        headers: Headers = None,
        **kwargs: Any,
    ) -> None:
        headers = _with_header(headers, 'Content-Range', f'bytes */{resource_length}')
        super().__init__(title=title, description=description, headers=headers, **kwargs)


class HTTPUnprocessableEntity(_PredefinedError):
    """422 Unprocessable Entity."""

    _status = _sc.HTTP_422


class HTTPLocked(_PredefinedError):
    """423 Locked."""

    _status = _sc.HTTP_423


class HTTPFailedDependency(_PredefinedError):
    """424 Failed Dependency."""

    _status = _sc.HTTP_424


class HTTPPreconditionRequired(_PredefinedError):
    """428 Precondition Required."""

    _status = _sc.HTTP_428


class HTTPTooManyRequests(_RetryAfterError):
    """429 Too Many Requests.

    Keyword Args:
        retry_after: Seconds (int) or a datetime; becomes ``Retry-After``.
    """

    _status = _sc.HTTP_429


class HTTPRequestHeaderFieldsTooLarge(_PredefinedError):
    """431 Request Header Fields Too Large."""

    _status = _sc.HTTP_431


class HTTPUnavailableForLegalReasons(_PredefinedError):
    """451 Unavailable For Legal Reasons."""

    _status = _sc.HTTP_451


# --------------------------------------------------------------------------------------------
# 5xx
# --------------------------------------------------------------------------------------------


class HTTPInternalServerError(_PredefinedError):
    """500 Internal Server Error (also rendered for unhandled exceptions)."""

    _status = _sc.HTTP_500


class HTTPNotImplemented(_PredefinedError):
    """501 Not Implemented."""

    _status = _sc.HTTP_501


class HTTPBadGateway(_PredefinedError):
    """502 Bad Gateway."""

    _status = _sc.HTTP_502


class HTTPServiceUnavailable(_RetryAfterError):
    """503 Service Unavailable.

    Keyword Args:
        retry_after: Seconds (int) or a datetime; becomes ``Retry-After``.
    """

    _status = _sc.HTTP_503


class HTTPGatewayTimeout(_PredefinedError):
    """504 Gateway Timeout."""

    _status = _sc.HTTP_504


class HTTPVersionNotSupported(_PredefinedError):
    """505 HTTP Version Not Supported."""

    _status = _sc.HTTP_505


class HTTPInsufficientStorage(_PredefinedError):
    """507 Insufficient Storage."""

    _status = _sc.HTTP_507


class HTTPLoopDetected(_PredefinedError):
    """508 Loop Detected."""

    _status = _sc.HTTP_508


class HTTPNetworkAuthenticationRequired(_PredefinedError):
    """511 Network Authentication Required."""

    _status = _sc.HTTP_511
