"""lanner-routing: the default compiled router, field converters and static routes.

``lanner.routing`` mirrors ``falcon.routing``. The helpers a router needs
(:func:`map_http_methods`, :func:`set_default_responders`, the static routes) live in
lanner-core so third-party routers depend on lanner-core only; they are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lanner.routing._version import __version__
from lanner.routing.compiled import (
    CompiledRouter,
    CompiledRouterNode,
    CompiledRouterOptions,
    ConverterDict,
    UnacceptableRouteError,
    UnknownRouteError,
    URLBuildError,
)
from lanner.routing.converters import (
    BaseConverter,
    DateTimeConverter,
    FloatConverter,
    IntConverter,
    PathConverter,
    RegexConverter,
    UUIDConverter,
)
from lanner.routing.util import (
    SuffixedMethodNotFoundError,
    map_http_methods,
    set_default_responders,
)

if TYPE_CHECKING:
    from lanner.routing.static import StaticRoute, StaticRouteAsync

DefaultRouter = CompiledRouter
"""Alias of :class:`CompiledRouter`, the router an App uses when none is given."""


def __getattr__(name: str) -> Any:
    # The static routes load on first use: building the default router should not pay for them.
    if name in ('StaticRoute', 'StaticRouteAsync'):
        from lanner.routing import static

        value = getattr(static, name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


__all__ = (
    'BaseConverter',
    'CompiledRouter',
    'CompiledRouterNode',
    'CompiledRouterOptions',
    'ConverterDict',
    'DateTimeConverter',
    'DefaultRouter',
    'FloatConverter',
    'IntConverter',
    'PathConverter',
    'RegexConverter',
    'StaticRoute',
    'StaticRouteAsync',
    'SuffixedMethodNotFoundError',
    'URLBuildError',
    'UUIDConverter',
    'UnacceptableRouteError',
    'UnknownRouteError',
    '__version__',
    'map_http_methods',
    'set_default_responders',
)
