"""The WSGI body for ``resp.sse``: a body iterable over a synchronous emitter.

Contract (``lanner.App.__call__``): when ``resp.sse`` is not None, call
:func:`wsgi_body(app, resp) <wsgi_body>` after the response middleware ran. It validates the
emitter, applies the SSE default headers to ``resp._headers`` and returns the body iterable; send no
``Content-Length``. On HEAD, ``close()`` the iterable without iterating it (the emitter is closed
without ever running).

Keep-alive on WSGI: a WSGI server only learns that the client left when a write fails, and this
module starts no threads. A synchronous emitter therefore sends its own keep-alives by yielding
None while idle (for instance ``queue.get(timeout=15)`` and ``yield None`` on ``queue.Empty``);
that also lets the server notice a disconnect and ``close()`` the emitter, which runs its
``finally`` blocks.
"""

from __future__ import annotations

from collections.abc import Iterator
import logging
from typing import Any

from lanner._sse.render import apply_sse_headers, check_sync_emitter, json_handler_for, render_event
from lanner.errors import UnsafeValueError

__all__ = ('SSEBody', 'wsgi_body')

_logger = logging.getLogger('lanner')


class SSEBody:
    """WSGI body iterable over an SSE emitter; ``close()`` closes the emitter.

    WSGI servers call ``close()`` when the response ends for any reason, including a client
    disconnect noticed on write, so the emitter's ``finally`` blocks run.

    An :class:`~lanner.UnsafeValueError` from the emitter or an event (a field refused for a
    CR, LF or NUL) ends the stream cleanly, with a warning in the ``lanner`` log, instead of
    reaching the server: nothing unsafe was sent, and the response has already started.
    """

    __slots__ = ('_handler', '_iterator')

    def __init__(self, iterator: Iterator[Any], handler: Any) -> None:
        self._iterator = iterator
        self._handler = handler

    def __iter__(self) -> SSEBody:
        return self

    def __next__(self) -> bytes:
        try:
            return render_event(next(self._iterator), self._handler)
        except UnsafeValueError as ex:
            _logger.warning('Refused an unsafe value; the event stream was ended: %.300s', ex)
            self.close()
            raise StopIteration from None

    def close(self) -> None:
        """Close the emitter (a generator gets ``GeneratorExit`` at its current ``yield``)."""
        close = getattr(self._iterator, 'close', None)
        if close is not None:
            close()


def wsgi_body(app: Any, resp: Any) -> SSEBody:
    """Validate ``resp.sse``, set the SSE default headers on ``resp`` and return the body.

    ``json`` payloads are rendered with ``app.resp_options``' JSON handler, if one is registered.
    """
    iterator = check_sync_emitter(resp.sse)
    apply_sse_headers(resp._headers)
    return SSEBody(iterator, json_handler_for(app.resp_options))
