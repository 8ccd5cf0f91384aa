"""Request body size limits for media parsing (a lanner addition; Falcon has none).

Policy (enforced by ``Request.get_media``; this module holds the shared pieces):

* ``RequestOptions.max_body_size`` (default :data:`DEFAULT_MAX_BODY_SIZE`, 4 MiB; ``None``
  disables) caps the number of body bytes ``req.get_media()`` may consume, whatever the handler
  (multipart included: raise the limit on upload routes).
* Per route, decorate the responder with :func:`max_body_size`, which sets
  ``req.max_body_size``; per call, pass ``req.get_media(max_size=...)``. The most specific one
  wins (call > route > app).
* A declared ``Content-Length`` above the limit is refused before a single byte is read. A body
  without one (chunked ASGI) is counted while it is read and refused as soon as it goes past
  the limit, so at most ``limit`` plus one received chunk is ever buffered.
* Refusal is ``HTTPContentTooLarge`` (413) with a description naming the limit.
* Reading ``req.stream`` / ``req.bounded_stream`` directly is not limited: an app that streams a
  body itself decides how much it wants.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
import inspect
from typing import Any, TypeVar

# Default ``RequestOptions.max_body_size`` (4 MiB), defined once in lanner.constants.
from lanner.constants import DEFAULT_MAX_BODY_SIZE

__all__ = ['DEFAULT_MAX_BODY_SIZE', 'max_body_size', 'validate_max_body_size']


_F = TypeVar('_F', bound=Callable[..., Any])


def validate_max_body_size(value: object, what: str = 'max_body_size') -> int | None:
    """Check a limit given by the app (at configuration time) and return it.

    Raises:
        ValueError: ``value`` is not None or a non-negative int.
    """
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(
            f'{what} must be None (no limit) or a non-negative number of bytes, got {value!r}.'
        )
    return value


def max_body_size(limit: int | None) -> Callable[[_F], _F]:
    """Decorate a responder (sync or async) to set its request body limit for media parsing.

    The decorator sets ``req.max_body_size`` before the responder runs; ``None`` lifts the
    limit for that route::

        class Uploads:
            @lanner.media.max_body_size(512 * 1024 * 1024)
            def on_post(self, req, resp):
                for part in req.get_media():
                    ...

    Raises:
        ValueError: ``limit`` is not None or a non-negative int (at decoration time).
    """
    validate_max_body_size(limit)

    def decorator(responder: _F) -> _F:
        if inspect.iscoroutinefunction(responder):

            @functools.wraps(responder)
            async def async_wrapper(self: Any, req: Any, resp: Any, *args: Any, **kw: Any) -> Any:
                req.max_body_size = limit
                return await responder(self, req, resp, *args, **kw)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(responder)
        def wrapper(self: Any, req: Any, resp: Any, *args: Any, **kw: Any) -> Any:
            req.max_body_size = limit
            return responder(self, req, resp, *args, **kw)

        return wrapper  # type: ignore[return-value]

    return decorator
