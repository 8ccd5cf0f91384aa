"""Routing helpers (``falcon.routing.util``): re-exported from lanner-core.

They live in :mod:`lanner.router_support` so that third-party routers need only lanner-core.
"""

from __future__ import annotations

from lanner.router_support import (
    SuffixedMethodNotFoundError,
    map_http_methods,
    set_default_responders,
    validate_responders,
)

__all__ = (
    'SuffixedMethodNotFoundError',
    'map_http_methods',
    'set_default_responders',
    'validate_responders',
)
