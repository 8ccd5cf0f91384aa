"""Static file routes (``falcon.routing.static``): re-exported from lanner-core.

The implementation lives in :mod:`lanner.static` because ``App.add_static_route`` must work
with any router, including third-party ones.
"""

from __future__ import annotations

from lanner.static import BoundedReader as _BoundedFile  # noqa: F401  (re-exported)
from lanner.static import StaticRoute, StaticRouteAsync

# _BoundedFile: Falcon's private name for the reader that stops after a given length; code
# ported from Falcon (and Falcon's own tests) import it from this module.

__all__ = ('StaticRoute', 'StaticRouteAsync')
