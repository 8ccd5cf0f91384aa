"""Static file routes (``falcon.routing.static``): re-exported from lanner-core.

The implementation lives in :mod:`lanner.static` because ``App.add_static_route`` must work
with any router, including third-party ones.
"""

from __future__ import annotations

from lanner.static import StaticRoute, StaticRouteAsync

__all__ = ('StaticRoute', 'StaticRouteAsync')
