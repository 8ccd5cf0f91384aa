"""JSON Schema validation of request and response media (needs the optional ``jsonschema``).

::

    from lanner.media.validators import jsonschema

    class Things:
        @jsonschema.validate(req_schema=THING_SCHEMA, resp_schema=THING_SCHEMA)
        def on_post(self, req, resp):
            ...

Schemas are checked and compiled once, when the decorator is applied, so a broken schema fails
at import time rather than on the first request. ``jsonschema`` is imported at that moment too;
when it is missing the ImportError says how to install it.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
import inspect
from types import ModuleType
from typing import Any, TypeVar

from lanner.errors import HTTPInternalServerError, MediaValidationError

__all__ = ['validate']

_F = TypeVar('_F', bound=Callable[..., Any])

_REQ_TITLE = 'Request data failed validation'
_RESP_TITLE = 'Response data failed validation'


def _import_jsonschema() -> ModuleType:
    try:
        import jsonschema
    except ImportError as err:
        raise ImportError(
            'lanner.media.validators.jsonschema.validate() requires the optional "jsonschema" '
            'package, which is not installed. Install it with: '
            'pip install "lanner-core[jsonschema]" (or pip install jsonschema).'
        ) from err
    module: ModuleType = jsonschema
    return module


class _Checker:
    """A compiled schema: ``check(instance)`` returns None or an error message."""

    def __init__(self, schema: Any) -> None:
        jsonschema = _import_jsonschema()
        validator_class = jsonschema.validators.validator_for(schema)
        # Raises jsonschema.SchemaError for an invalid schema, at decoration time.
        validator_class.check_schema(schema)
        self._validator = validator_class(schema, format_checker=jsonschema.FormatChecker())
        self._error_class: type[Exception] = jsonschema.ValidationError

    def check(self, instance: Any) -> tuple[str, BaseException] | None:
        try:
            self._validator.validate(instance)
        except self._error_class as err:
            return str(getattr(err, 'message', err)), err
        except RecursionError as err:
            # A recursive schema walking a very deep (but valid) document must not be a 500.
            return 'The document is nested too deeply to be validated.', err
        return None


def _check_request(checker: _Checker | None, media: Any) -> None:
    if checker is None:
        return
    failure = checker.check(media)
    if failure is not None:
        message, cause = failure
        raise MediaValidationError(title=_REQ_TITLE, description=message) from cause


def _check_response(checker: _Checker | None, media: Any) -> None:
    if checker is None:
        return
    failure = checker.check(media)
    if failure is not None:
        raise HTTPInternalServerError(title=_RESP_TITLE) from failure[1]


def validate(req_schema: Any = None, resp_schema: Any = None) -> Callable[[_F], _F]:
    """Decorate a responder to validate ``req.media`` before it and ``resp.media`` after it.

    Works on sync (WSGI) and async (ASGI) responders; async ones await ``req.get_media()``.
    Formats (``"format": "email"`` etc.) are checked with ``jsonschema.FormatChecker``.

    Args:
        req_schema: Schema for the request media, or None to skip.
        resp_schema: Schema for the response media, or None to skip.

    Raises:
        ImportError: ``jsonschema`` is not installed (at decoration time).
        jsonschema.SchemaError: A schema is invalid (at decoration time).

    The wrapped responder raises ``MediaValidationError`` (400, title ``Request data failed
    validation``, the validator's message as description, chained from the jsonschema error)
    for bad request media, and ``HTTPInternalServerError`` (500, title ``Response data failed
    validation``) for bad response media.
    """
    req_checker = _Checker(req_schema) if req_schema is not None else None
    resp_checker = _Checker(resp_schema) if resp_schema is not None else None

    def decorator(responder: _F) -> _F:
        if inspect.iscoroutinefunction(responder):

            @functools.wraps(responder)
            async def async_wrapper(self: Any, req: Any, resp: Any, *args: Any, **kw: Any) -> Any:
                if req_checker is not None:
                    _check_request(req_checker, await req.get_media())
                result = await responder(self, req, resp, *args, **kw)
                _check_response(resp_checker, resp.media)
                return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(responder)
        def wrapper(self: Any, req: Any, resp: Any, *args: Any, **kw: Any) -> Any:
            if req_checker is not None:
                # req.media (the same as req.get_media() on WSGI), as Falcon reads it.
                _check_request(req_checker, req.media)
            result = responder(self, req, resp, *args, **kw)
            _check_response(resp_checker, resp.media)
            return result

        return wrapper  # type: ignore[return-value]

    return decorator
