"""Server-Sent Events rules both flavours share, written once and without I/O.

Core streams SSE without importing lanner-sse: an emitter yields any object with
``serialize(handler=None) -> bytes`` (``lanner.sse.SSEvent`` is one) or None for a keep-alive
comment. Here: the default headers, the keep-alive comment and interval, the rendering of one
item, and the checks of a synchronous emitter. The drivers only say how bytes leave:
:mod:`.wsgi_body` (the WSGI body iterable) and :mod:`.asgi_pump` (the ASGI pump, the one module
here that imports asyncio; only :mod:`lanner.asgi` imports it). This module must not import
asyncio (``import lanner`` stays light).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
import inspect
from typing import Any

__all__ = (
    'DEFAULT_KEEPALIVE_INTERVAL',
    'PING',
    'apply_sse_headers',
    'check_keepalive_interval',
    'check_sync_emitter',
    'json_handler_for',
    'render_event',
)

PING = b': ping\n\n'
"""A comment-only event: what a yielded None and an idle keep-alive send."""

DEFAULT_KEEPALIVE_INTERVAL = 15.0
"""Seconds of silence after which the ASGI pump sends :data:`PING` (proxies often time out
idle connections after 30-60 s)."""

_MEDIA_JSON = 'application/json'


def apply_sse_headers(headers: MutableMapping[str, str]) -> None:
    """Give an SSE response its default headers (``headers`` has lower-case names).

    * ``content-type: text/event-stream`` unless the app set one;
    * ``cache-control: no-cache`` unless set (intermediaries must not cache or coalesce events);
    * ``x-accel-buffering: no`` unless set: nginx buffers proxied responses by default, which
      holds events back until its buffer fills;
    * no ``content-length``: the stream has no known length.
    """
    headers.setdefault('content-type', 'text/event-stream')
    headers.setdefault('cache-control', 'no-cache')
    headers.setdefault('x-accel-buffering', 'no')
    headers.pop('content-length', None)


def check_keepalive_interval(value: object) -> float | None:
    """Validate a keep-alive interval: seconds > 0, or None to disable keep-alive pings."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f'sse_keepalive_interval must be a number of seconds or None, not '
            f'{type(value).__name__}'
        )
    if not value > 0:  # also rejects NaN
        raise ValueError(
            f'sse_keepalive_interval must be > 0 seconds (or None to disable), got {value!r}'
        )
    return float(value)


def json_handler_for(options: Any) -> Any:
    """The response JSON media handler SSE ``json`` payloads use, or None for the default."""
    handlers = getattr(options, 'media_handlers', None)
    if handlers is None:
        return None
    resolve = getattr(handlers, '_resolve', None)
    if resolve is not None:
        return resolve(_MEDIA_JSON, _MEDIA_JSON, raise_not_found=False)[0]
    return handlers.get(_MEDIA_JSON)


def render_event(item: Any, handler: Any) -> bytes:
    """Serialize one emitted item (an event or None) to plain ``bytes``."""
    if item is None:
        return PING
    try:
        serialize = item.serialize
    except AttributeError:
        raise TypeError(
            f'An SSE emitter yielded a {type(item).__name__} object; it must yield events '
            f'(objects with serialize(handler), such as lanner.sse.SSEvent) or None for a '
            f'keep-alive ping.'
        ) from None
    chunk = serialize(handler)
    # Subclasses such as lanner.sse.SerializedEvent are copied to plain bytes because some
    # servers and validators (wsgiref's, for one) insist on the exact type. PERF: the copy of a
    # typical event costs ~0.2 us next to ~2.5 us for serializing it; exact bytes skip it.
    if type(chunk) is bytes:
        return chunk
    if isinstance(chunk, bytes):
        return bytes(chunk)
    raise TypeError(
        f'{type(item).__name__}.serialize() returned {type(chunk).__name__}; it must return bytes'
    )


def _describe(obj: object) -> str:
    return getattr(obj, '__qualname__', None) or getattr(obj, '__name__', None) or repr(obj)


def check_sync_emitter(emitter: object) -> Iterator[Any]:
    """Return an iterator over a WSGI ``resp.sse`` emitter, or explain what is wrong with it."""
    if inspect.isgeneratorfunction(emitter) or inspect.isasyncgenfunction(emitter):
        name = _describe(emitter)
        raise TypeError(
            f'resp.sse was set to the generator function {name} itself; call it so that '
            f'resp.sse gets the generator: resp.sse = {name}()'
        )
    if hasattr(emitter, '__aiter__'):
        raise TypeError(
            f'resp.sse got an asynchronous iterator ({type(emitter).__name__}) on a WSGI app. '
            f'Use a synchronous generator here, or serve the app with lanner.asgi.App.'
        )
    if isinstance(emitter, (str, bytes, bytearray, memoryview, Mapping)):
        raise TypeError(
            f'resp.sse must be an iterator of events, not {type(emitter).__name__}; yield '
            f'lanner.sse.SSEvent objects (or None for a keep-alive) from a generator.'
        )
    try:
        return iter(emitter)  # type: ignore[call-overload, no-any-return]
    except TypeError:
        raise TypeError(
            f'resp.sse must be an iterator of events (e.g. a generator), not '
            f'{type(emitter).__name__}.'
        ) from None
