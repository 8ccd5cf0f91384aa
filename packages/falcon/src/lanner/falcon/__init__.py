"""lanner-falcon: makes ``import falcon`` resolve to lanner, add-ons included.

Once this distribution is installed, a ``.pth`` file installs an import hook at interpreter start:
``falcon.App is lanner.App``, ``falcon.asgi is lanner.asgi`` and so on for every submodule, while
``falcon.__version__`` reports the Falcon API version lanner implements (``'4.4.0'``). Set the
environment variable ``LANNER_FALCON=0`` to switch the hook off. :class:`ASGIRouteMiddleware` lets
ASGI-level tracing (Sentry, OpenTelemetry) name ``falcon.asgi.App`` requests by route template. See
``docs/ecosystem.md``.
"""

from lanner.falcon._alias import (
    DISABLE_VARIABLE,
    FALCON_API_VERSION,
    FalconAliasFinder,
    FalconShadowedWarning,
    install,
    is_enabled,
    uninstall,
)
from lanner.falcon._asgi_route import ASGIRouteMiddleware, RouteTemplate
from lanner.falcon._version import __version__

__all__ = (
    'ASGIRouteMiddleware',
    'DISABLE_VARIABLE',
    'FALCON_API_VERSION',
    'FalconAliasFinder',
    'FalconShadowedWarning',
    'RouteTemplate',
    '__version__',
    'install',
    'is_enabled',
    'uninstall',
)
