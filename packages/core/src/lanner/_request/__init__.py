"""Request views both flavours share (private): lazy, memoised properties over the WSGI environ
or the ASGI scope.

- :mod:`.memo`: the ``memoized`` descriptor behind every lazy property, and the ``LAZY_CONTEXT``
  sentinel (``req.context`` and ``resp.context`` are made on first access).
- :mod:`.headers`: the typed header properties (``TypedHeadersMixin``).
- :mod:`.params`: the query string (``QueryParamsMixin``: ``params``, ``get_param*``).

:mod:`lanner.request` and :mod:`lanner.asgi.request` build the public Request classes on these.
"""
