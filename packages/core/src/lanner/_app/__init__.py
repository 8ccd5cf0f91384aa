"""The request loops' helpers both Apps share (private).

- :mod:`.errors`: error handler registration and lookup, the default handlers, the composition
  of error responses and the error reporter (``ErrorHandlingMixin``); the 400s both loops answer
  alike (unsafe values, conflicting framing headers).
- :mod:`.error_serializer`: the default error serializer (JSON, XML or a negotiated type).
- :mod:`.header_limits`: the header backstop (431) for ``RequestOptions.max_header_count`` and
  ``max_header_bytes``.

The request loops themselves are :mod:`lanner.app` (WSGI) and :mod:`lanner.asgi.app` (ASGI).
"""
