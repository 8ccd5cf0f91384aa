"""Response framing rules keyed by status code, shared by the WSGI and ASGI senders (no I/O).

* A response with a status in ``BODILESS_CODES`` carries no body whatever the app set
  (RFC 9110 section 6.4.1: 1xx, 204 and 304).
* ``NO_CONTENT_TYPE_CODES`` also get no default Content-Type.

WSGI compares the rendered status line, as Falcon does, so the same table is also given as
status lines (``BODILESS_LINES``, ``NO_CONTENT_TYPE_LINES``), built from the codes.
"""

from __future__ import annotations

__all__ = ['BODILESS_CODES', 'BODILESS_LINES', 'NO_CONTENT_TYPE_CODES', 'NO_CONTENT_TYPE_LINES']

# The table: status code -> (its status line, whether it gets no Content-Type either).
_BODILESS = {
    100: ('100 Continue', False),
    101: ('101 Switching Protocols', False),
    204: ('204 No Content', True),
    304: ('304 Not Modified', True),
}

BODILESS_CODES = frozenset(_BODILESS)
NO_CONTENT_TYPE_CODES = frozenset(code for code, (_, bare) in _BODILESS.items() if bare)
BODILESS_LINES = frozenset(line for line, _ in _BODILESS.values())
NO_CONTENT_TYPE_LINES = frozenset(line for line, bare in _BODILESS.values() if bare)
