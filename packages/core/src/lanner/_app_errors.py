"""Error handling for the Apps: handler registration, lookup and the default handlers.

:class:`ErrorHandlingMixin` is a base of :class:`lanner.App` (and so of
:class:`lanner.asgi.App`, which overrides the handlers and ``_handle_exception`` with ``async``
flavours that also take ``ws``). It holds ``add_error_handler`` and ``set_error_serializer``, the
MRO lookup of a handler (``_find_error_handler``), the default handlers for ``Exception``,
``HTTPError``, ``HTTPStatus`` and ``UnsafeValueError``, and the composition of an error response
(``_compose_*``, ``_handler_failed``). The request loops live in :mod:`lanner.app` and
:mod:`lanner.asgi.app`; the attributes used here (``_error_handlers``, ``_error_handler_cache``,
``_serialize_error``) are slots of :class:`lanner.App`.

Invariants:
- Error handlers are looked up along the exception's MRO; the latest registration for a class
  wins. Resolved lookups are cached per exception class; the cache is emptied on registration.
- A failing error handler or error serializer is turned into a 500 (an ``UnsafeValueError`` into
  a 400), never propagated; a broken serializer falls back to plain JSON.
- The 400s for unsafe values and for conflicting framing headers (``_unsafe_value_refused``,
  ``_framing_conflict``) are built here so that both request loops answer alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import logging
import traceback
from typing import TYPE_CHECKING, Any

from lanner import constants
from lanner.app_helpers import is_coroutine_callable
from lanner.errors import (
    CompatibilityError,
    HTTPBadRequest,
    HTTPInternalServerError,
    UnsafeValueError,
)
from lanner.http_error import HTTPError
from lanner.http_status import HTTPStatus

if TYPE_CHECKING:
    from lanner.typing import ErrorHandler, ErrorSerializer

__all__ = ('ErrorHandlingMixin',)

# Exception classes whose resolved error handler is remembered (see _find_error_handler).
_ERROR_HANDLER_CACHE_MAX = 256

# First parameter names (or 2nd/3rd pairs) of Falcon 1.x style ``handler(ex, req, resp, params)``.
_LEGACY_FIRST_ARGS = frozenset(('e', 'err', 'error', 'ex', 'exception'))
_LEGACY_MIDDLE_ARGS = (['req', 'resp'], ['request', 'response'])

_logger = logging.getLogger('lanner')


def _unsafe_value_refused(req: Any, error: Exception) -> HTTPBadRequest:
    """Log a refused :class:`UnsafeValueError` (one warning line); return the 400 to answer with.

    Such values nearly always come from the request (an app echoing a parameter into a header,
    say), so the client gets a 400. Its description never quotes the value: it carries the very
    characters that were refused. The log line does (``repr``-escaped, cut at 300 characters).
    """
    _logger.warning('Refused an unsafe value (%s %s): %.300s', req.method, req.path, error)
    return HTTPBadRequest(
        title='Unsafe value refused',
        description=(
            'The request led to a value that cannot be sent safely in the response (in a '
            'header, a cookie, a redirect location or an event stream): it contains control '
            'characters such as CR, LF or NUL, or characters a header cannot carry. Send the '
            'request without them.'
        ),
    )


def _framing_conflict(headers: dict[str, str] | None = None) -> HTTPBadRequest:
    """The 400 for a request with both Content-Length and Transfer-Encoding (RFC 9112 6.1)."""
    return HTTPBadRequest(
        title='Conflicting Content-Length and Transfer-Encoding',
        description=(
            'The request carries both Content-Length and Transfer-Encoding, so its length is '
            'ambiguous (the way requests are smuggled past proxies); RFC 9112 section 6.1 '
            'treats it as an error. Send only one of the two headers.'
        ),
        headers=headers,
    )


class ErrorHandlingMixin:
    """Error handler registration, lookup and the default handlers (a base of ``lanner.App``)."""

    __slots__ = ()

    # Slots of lanner.App, set in its __init__.
    _error_handlers: dict[type[BaseException], ErrorHandler]
    _error_handler_cache: dict[type[BaseException], ErrorHandler]
    _serialize_error: Callable[..., None]

    def _install_default_error_handlers(self) -> None:
        self.add_error_handler(Exception, self._python_error_handler)
        self.add_error_handler(HTTPError, self._http_error_handler)
        self.add_error_handler(HTTPStatus, self._http_status_handler)
        # lanner addition: a header, cookie, Location or SSE value refused as unsafe is a 400
        # (looked up by MRO, so it beats the Exception handler; a user handler still wins).
        self.add_error_handler(UnsafeValueError, self._unsafe_value_handler)

    def add_error_handler(
        self,
        exception: type[BaseException] | Iterable[type[BaseException]],
        handler: ErrorHandler | None = None,
    ) -> None:
        """Register ``handler(req, resp, ex, params)`` for an exception class (or several).

        Args:
            exception: An ``Exception`` subclass or an iterable of them.
            handler: The handler; defaults to ``exception.handle`` (a static method).

        Raises:
            TypeError: A class is not an ``Exception`` subclass, or several classes were given
                without a handler.
            AttributeError: No handler was given and the class has no ``handle``.
            CompatibilityError: The handler's sync/async flavour does not match the App.
        """
        if handler is None:
            if not isinstance(exception, type):
                raise TypeError(
                    'A handler must be given when registering several exception classes at once.'
                )
            try:
                handler = exception.handle  # type: ignore[attr-defined]
            except AttributeError:
                raise AttributeError(
                    f'No handler was given for {exception.__name__} and it has no "handle" '
                    'static method; pass handler=... explicitly.'
                ) from None
        classes = [exception] if isinstance(exception, type) else list(exception)
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Exception)):
                raise TypeError(
                    f'{cls!r} is not a subclass of Exception; error handlers can only be '
                    'registered for Exception subclasses.'
                )
        handler = self._wrap_error_handler(handler)
        for cls in classes:
            self._error_handlers[cls] = handler
        self._error_handler_cache.clear()

    def _wrap_error_handler(self, handler: ErrorHandler) -> ErrorHandler:
        if is_coroutine_callable(handler):
            raise CompatibilityError(
                f'The error handler {handler!r} is a coroutine function, but lanner.App (WSGI) '
                'calls handlers synchronously. Use a plain function, or serve the app with '
                'lanner.asgi.App.'
            )
        return _adapt_legacy_handler(handler)

    def set_error_serializer(self, serializer: ErrorSerializer) -> None:
        """Replace the default error serializer: ``serializer(req, resp, exception)``.

        Only the default ``HTTPError`` handler calls it; it must set the body itself.
        """
        self._serialize_error = serializer

    def _find_error_handler(self, ex: BaseException) -> ErrorHandler | None:
        ex_type = type(ex)
        # PERF: one dict hit per raised exception class instead of a walk along its MRO; the
        # cache is emptied whenever a handler is registered.
        cache = self._error_handler_cache
        handler = cache.get(ex_type)
        if handler is not None:
            return handler
        handlers = self._error_handlers
        for cls in ex_type.__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                if len(cache) >= _ERROR_HANDLER_CACHE_MAX:
                    cache.clear()  # classes made on the fly must not grow it without bound
                cache[ex_type] = handler
                return handler
        return None

    def _handle_exception(self, req: Any, resp: Any, ex: Exception, params: dict[str, Any]) -> bool:
        handler = self._find_error_handler(ex)
        if handler is None:
            return False
        resp.text = None
        resp.data = None
        resp.media = None
        try:
            handler(req, resp, ex, params)
        except (HTTPStatus, HTTPError) as raised:
            self._compose_guarded(req, resp, raised)
        except Exception as failure:
            self._handler_failed(req, resp, failure)
        return True

    def _compose_guarded(self, req: Any, resp: Any, raised: HTTPStatus | HTTPError) -> None:
        """Render an HTTPStatus/HTTPError raised by a handler with the default composition."""
        try:
            if isinstance(raised, HTTPStatus):
                self._compose_status_response(req, resp, raised)
            else:
                self._compose_error_response(req, resp, raised)
        except Exception as failure:
            self._handler_failed(req, resp, failure)

    def _handler_failed(self, req: Any, resp: Any, failure: Exception) -> None:
        """An error handler or the error serializer raised: log it and answer 500.

        An :class:`UnsafeValueError` (say, an ``HTTPError`` whose headers carry a CR/LF, refused
        when the default handler applies them) is answered with 400 instead, as if raised by the
        responder.
        """
        error: HTTPError
        if isinstance(failure, UnsafeValueError):
            error = _unsafe_value_refused(req, failure)
        else:
            self._log_exception(req, failure, 'An error handler or the error serializer failed')
            error = HTTPInternalServerError()
        resp.text = None
        resp.data = None
        resp.media = None
        resp.status = error.status
        try:
            self._serialize_error(req, resp, error)
        except Exception:
            # The serializer itself is broken (already logged above): fall back to plain JSON.
            resp.text = None
            resp.media = None
            resp.content_type = constants.MEDIA_JSON
            resp.data = error.to_json()

    def _log_exception(self, req: Any, error: BaseException, what: str) -> None:
        text = ''.join(traceback.format_exception(type(error), error, error.__traceback__))
        req.log_error(f'{what}:\n{text}')

    def _compose_status_response(self, req: Any, resp: Any, status: HTTPStatus) -> None:
        resp.status = status.status
        if status.headers:
            resp.set_headers(status.headers)
        resp.text = status.text

    def _compose_error_response(self, req: Any, resp: Any, error: HTTPError) -> None:
        resp.status = error.status
        if error.headers:
            resp.set_headers(error.headers)
        self._serialize_error(req, resp, error)

    def _http_status_handler(self, req: Any, resp: Any, status: HTTPStatus, params: Any) -> None:
        self._compose_status_response(req, resp, status)

    def _http_error_handler(self, req: Any, resp: Any, error: HTTPError, params: Any) -> None:
        self._compose_error_response(req, resp, error)

    def _python_error_handler(self, req: Any, resp: Any, error: Exception, params: Any) -> None:
        req.log_error(''.join(traceback.format_exception(type(error), error, error.__traceback__)))
        self._compose_error_response(req, resp, HTTPInternalServerError())

    def _unsafe_value_handler(
        self, req: Any, resp: Any, error: UnsafeValueError, params: Any
    ) -> None:
        self._compose_error_response(req, resp, _unsafe_value_refused(req, error))


def _adapt_legacy_handler(handler: ErrorHandler) -> ErrorHandler:
    """Wrap a Falcon 1.x style ``handler(ex, req, resp, params)`` (with a DeprecatedWarning)."""
    from lanner.util.misc import get_argnames

    try:
        argnames = get_argnames(handler)
    except (TypeError, ValueError):
        return handler
    if not argnames:
        return handler
    if argnames[0] not in _LEGACY_FIRST_ARGS and argnames[1:3] not in _LEGACY_MIDDLE_ARGS:
        return handler

    import functools
    import warnings

    from lanner.util.deprecation import DeprecatedWarning

    warnings.warn(
        f'The error handler {getattr(handler, "__qualname__", handler)!r} takes '
        '(ex, req, resp, params); error handlers now take (req, resp, ex, params). The old order '
        'is still supported through a wrapper but will be removed: reorder the parameters.',
        DeprecatedWarning,
        stacklevel=4,
    )

    @functools.wraps(handler)
    def legacy_handler(req: Any, resp: Any, ex: Exception, params: Any) -> Any:
        return handler(ex, req, resp, params)

    return legacy_handler
