"""Error handling for the Apps: handler registration, lookup and the default handlers.

:class:`ErrorHandlingMixin` is a base of :class:`lanner.App` (and so of
:class:`lanner.asgi.App`, which overrides the default handlers with ``async`` flavours that also
take ``ws``, and has its own ``_handle_exception_async``). It holds ``add_error_handler`` and
``set_error_serializer``, the MRO lookup of a handler (``_find_error_handler``), the default
handlers for ``Exception``, ``HTTPError`` and ``HTTPStatus`` (the one for ``Exception`` answers
an ``UnsafeValueError`` with a 400 rather than a 500), the composition of an error response
(``_compose_*``), and the error reporter (``set_error_reporter``, ``_report``). The request
loops live in :mod:`lanner.app` and :mod:`lanner.asgi.app`; the attributes used here
(``_error_handlers``, ``_error_handler_cache``, ``_serialize_error``, ``_report_error``) are slots
of :class:`lanner.App`.

Invariants:
- Error handlers are looked up along the exception's MRO; the latest registration for a class
  wins. Resolved lookups are cached per exception class; the cache is emptied on registration.
- An exception raised by an error handler or the error serializer propagates out of the App, as
  in Falcon (error-tracking add-ons rely on it), except an ``UnsafeValueError``: it is answered
  with a 400, as if the responder had raised it. An ``HTTPError``/``HTTPStatus`` a handler raises
  is rendered with the default composition.
- The error reporter sees every exception that reaches ``_handle_exception`` once, in the order
  raised, with ``handled`` telling whether a response was rendered for it; a reporter that
  raises is logged and otherwise ignored, so it never changes the response.
- The 400s for unsafe values and for conflicting framing headers (``unsafe_value_refused``,
  ``framing_conflict``) are built here so that both request loops answer alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
import logging
import traceback
from typing import TYPE_CHECKING, Any

from lanner.app_helpers import is_coroutine_callable
from lanner.errors import (
    CompatibilityError,
    HTTPBadRequest,
    HTTPInternalServerError,
    HTTPLengthRequired,
    UnsafeValueError,
)
from lanner.http_error import HTTPError
from lanner.http_status import HTTPStatus

if TYPE_CHECKING:
    from lanner.typing import ErrorHandler, ErrorSerializer

# ``reporter(req, error, params, handled)``: see ErrorHandlingMixin.set_error_reporter.
ErrorReporter = Callable[[Any, Exception, dict[str, Any], bool], None]

__all__ = ('ErrorHandlingMixin', 'framing_conflict', 'unsafe_value_refused')

# Exception classes whose resolved error handler is remembered (see _find_error_handler).
_ERROR_HANDLER_CACHE_MAX = 256

# First parameter names (or 2nd/3rd pairs) of Falcon 1.x style ``handler(ex, req, resp, params)``.
_LEGACY_FIRST_ARGS = frozenset(('e', 'err', 'error', 'ex', 'exception'))
_LEGACY_MIDDLE_ARGS = (['req', 'resp'], ['request', 'response'])

_logger = logging.getLogger('lanner')


def unsafe_value_refused(req: Any, error: Exception) -> HTTPBadRequest:
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


def framing_conflict(headers: dict[str, str] | None = None) -> HTTPBadRequest:
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


def check_wsgi_framing(env: dict[str, Any]) -> None:
    """Refuse a WSGI request with a Transfer-Encoding whose body the app could not read whole.

    Called only when the environ has ``HTTP_TRANSFER_ENCODING``. Both framings at once is the
    400 above. Without a Content-Length, the body can only be read to its end when the server
    decoded the framing and promises ``wsgi.input_terminated`` (gunicorn does); otherwise the
    request is refused with 411 rather than its body read as empty (wsgiref, for one, hands the
    undecoded chunked bytes over with no length).
    """
    if env.get('CONTENT_LENGTH'):
        raise framing_conflict()
    if not env.get('wsgi.input_terminated'):
        raise HTTPLengthRequired(
            title='Length Required',
            description=(
                'This server cannot read a request body sent with Transfer-Encoding and no '
                'Content-Length (e.g. a chunked upload). Send the body with a Content-Length.'
            ),
        )


class ErrorHandlingMixin:
    """Error handler registration, lookup and the default handlers (a base of ``lanner.App``)."""

    __slots__ = ()

    # Slots of lanner.App, set in its __init__.
    _error_handlers: dict[type[BaseException], ErrorHandler]
    _error_handler_cache: dict[type[BaseException], ErrorHandler]
    _serialize_error: Callable[..., None]
    _report_error: Callable[[Any, Exception, dict[str, Any], bool], None] | None

    def _install_default_error_handlers(self) -> None:
        self.add_error_handler(Exception, self._python_error_handler)
        self.add_error_handler(HTTPError, self._http_error_handler)
        self.add_error_handler(HTTPStatus, self._http_status_handler)
        # A header, cookie, Location or SSE value refused as unsafe (lanner.UnsafeValueError) is
        # answered 400 by the Exception handler, not by a handler of its own: the registry holds
        # Falcon's three defaults, and a user handler for UnsafeValueError, ValueError or KeyError
        # wins by the ordinary MRO lookup.

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

    def set_error_reporter(self, reporter: ErrorReporter) -> None:
        """Set ``reporter(req, error, params, handled)``, told of every exception handled.

        For instrumentation (logging, error tracking). It is called for every exception that
        reaches the App's error handling, ``HTTPError`` and ``HTTPStatus`` included, whatever
        handler is registered; it does not change how the exception is handled:

        * an exception raised while routing, in middleware or a responder, or while rendering
          the body: reported once, ``handled=True`` when a handler rendered a response (a
          handler that re-raises the same exception reports it once, unhandled);
        * a handler raising ``HTTPError``/``HTTPStatus``: the original and the raised one, both
          handled, in that order;
        * a handler or the error serializer raising anything else: the original, the derived
          ``HTTPError``/``HTTPStatus`` (if any) and the new exception, all unhandled; the new
          exception then propagates to the server;
        * the response cannot be started (an invalid status or header): unhandled, and the
          exception propagates.

        Exceptions raised while the body streams (``resp.stream``, ``resp.sse``) are not
        reported. One reporter per App: calling this again replaces it.

        The reporter is a plain synchronous callable on both Apps; on ASGI it runs on the event
        loop, so it must return quickly (hand reports to a background sender). If it raises,
        the failure is logged on the ``lanner`` logger and the response goes out unchanged.

        Args:
            reporter: ``reporter(req, error, params, handled)``; ``params`` holds the route's
                field values (empty when the error was raised before routing completed).

        Raises:
            TypeError: ``reporter`` is not callable, or is a coroutine function.
        """
        if not callable(reporter):
            raise TypeError(
                f'The error reporter must be callable as reporter(req, error, params, handled), '
                f'not {type(reporter).__name__}.'
            )
        if is_coroutine_callable(reporter):
            raise TypeError(
                f'The error reporter {reporter!r} is a coroutine function; reporters are plain '
                'synchronous callables on both Apps. Define it with "def" and hand slow work '
                '(network I/O) to a background task.'
            )
        self._report_error = reporter  # type: ignore[misc]  # a slot of lanner.App

    def _report(self, req: Any, error: Exception, params: dict[str, Any], handled: bool) -> None:
        """Tell the error reporter (if any); its own failure is logged, never propagated."""
        reporter = self._report_error
        if reporter is None:
            return
        try:
            reporter(req, error, params, handled)
        except Exception:
            _logger.exception(
                'The error reporter failed while reporting %s (%s %s); the response is not '
                'affected',
                type(error).__name__,
                getattr(req, 'method', '?'),
                getattr(req, 'path', '?'),
            )

    def _report_handler_outcome(
        self,
        req: Any,
        params: dict[str, Any],
        errors: tuple[Exception | None, ...],
        handled: bool,
    ) -> None:
        """Report the original exception and what its handler raised, each once, in order."""
        if self._report_error is None:
            return
        seen: list[Exception] = []
        for error in errors:
            if error is not None and not any(error is other for other in seen):
                seen.append(error)
                self._report(req, error, params, handled)

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
        """Run the handler for ``ex``; False (reported unhandled) when none is registered.

        Whatever the handler (or the composition of what it raised) raises propagates, after
        being reported; see the module's invariants.
        """
        handler = self._find_error_handler(ex)
        if handler is None:
            self._report(req, ex, params, False)
            return False
        resp.text = None
        resp.data = None
        resp.media = None
        derived: HTTPStatus | HTTPError | None = None
        try:
            try:
                handler(req, resp, ex, params)
            except (HTTPStatus, HTTPError) as raised:
                derived = raised
                self._compose_raised(req, resp, raised)
        except Exception as failure:
            if not isinstance(failure, UnsafeValueError):
                self._report_handler_outcome(req, params, (ex, derived, failure), False)
                raise
            self._refuse_unsafe_value(req, resp, failure)
            self._report_handler_outcome(req, params, (ex, derived, failure), True)
            return True
        self._report_handler_outcome(req, params, (ex, derived), True)
        return True

    def _compose_raised(self, req: Any, resp: Any, raised: HTTPStatus | HTTPError) -> None:
        """Render an HTTPStatus/HTTPError raised by a handler with the default composition."""
        if isinstance(raised, HTTPStatus):
            self._compose_status_response(req, resp, raised)
        else:
            self._compose_error_response(req, resp, raised)

    def _refuse_unsafe_value(self, req: Any, resp: Any, failure: UnsafeValueError) -> None:
        """A handler (or the composition) met an unsafe value: answer 400, as the responder would.

        Say, an ``HTTPError`` whose headers carry a CR/LF, refused when the default handler
        applies them. A serializer that fails on the 400 propagates, like any serializer failure.
        """
        error = unsafe_value_refused(req, failure)
        resp.text = None
        resp.data = None
        resp.media = None
        resp.status = error.status
        self._serialize_error(req, resp, error)

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

    # The default handlers. They are called through the registry only, so their result is
    # ignored; it is declared as either flavour's (None here; lanner.asgi.App overrides them with
    # coroutine functions that also take ``ws``).

    def _http_status_handler(
        self, req: Any, resp: Any, status: HTTPStatus, params: Any
    ) -> Awaitable[None] | None:
        self._compose_status_response(req, resp, status)
        return None

    def _http_error_handler(
        self, req: Any, resp: Any, error: HTTPError, params: Any
    ) -> Awaitable[None] | None:
        self._compose_error_response(req, resp, error)
        return None

    def _python_error_handler(
        self, req: Any, resp: Any, error: Exception, params: Any
    ) -> Awaitable[None] | None:
        if isinstance(error, UnsafeValueError):
            # Bad input, not a bug: a 400 and one warning line, no traceback.
            self._compose_error_response(req, resp, unsafe_value_refused(req, error))
            return None
        req.log_error(''.join(traceback.format_exception(type(error), error, error.__traceback__)))
        self._compose_error_response(req, resp, HTTPInternalServerError())
        return None


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
        f'The error handler {getattr(handler, "__qualname__", handler)!r} uses a deprecated '
        'signature (ex, req, resp, params); error handlers now take (req, resp, ex, params). The '
        'old order is still supported through a wrapper but will be removed: reorder the '
        'parameters.',
        DeprecatedWarning,
        stacklevel=4,
    )

    @functools.wraps(handler)
    def legacy_handler(req: Any, resp: Any, ex: Exception, params: Any) -> Any:
        return handler(ex, req, resp, params)

    return legacy_handler
