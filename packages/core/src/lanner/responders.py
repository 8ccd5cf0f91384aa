"""Default responders that routers install for requests a resource does not handle itself.

Every responder exists in two flavours: a plain function for WSGI apps and a coroutine function
for ASGI apps (``asgi=True`` or the ``*_async`` names). A router builds them once, when a route is
added, so nothing here runs any logic per request beyond raising or setting two headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NoReturn

from lanner.errors import HTTPBadRequest, HTTPMethodNotAllowed, HTTPRouteNotFound
from lanner.status_codes import HTTP_200

SyncResponder = Callable[..., None]
AsyncResponder = Callable[..., Awaitable[None]]


def path_not_found(req: Any, resp: Any, **kwargs: Any) -> NoReturn:
    """Raise :class:`~lanner.errors.HTTPRouteNotFound` (404): no route matched the path."""
    raise HTTPRouteNotFound()


async def path_not_found_async(req: Any, resp: Any, **kwargs: Any) -> NoReturn:
    """Coroutine flavour of :func:`path_not_found` for ASGI apps."""
    raise HTTPRouteNotFound()


def bad_request(req: Any, resp: Any, **kwargs: Any) -> NoReturn:
    """Raise a 400 for a request method the router has never heard of."""
    raise HTTPBadRequest(title='Bad request', description='Invalid HTTP method')


async def bad_request_async(req: Any, resp: Any, **kwargs: Any) -> NoReturn:
    """Coroutine flavour of :func:`bad_request` for ASGI apps."""
    raise HTTPBadRequest(title='Bad request', description='Invalid HTTP method')


def create_method_not_allowed(
    allowed_methods: Iterable[str], asgi: bool = False
) -> SyncResponder | AsyncResponder:
    """Build a responder that raises :class:`~lanner.errors.HTTPMethodNotAllowed` (405).

    Args:
        allowed_methods: The methods the resource does handle; they become the ``Allow`` header.
        asgi: Return a coroutine function (for ASGI apps) instead of a plain function.
    """
    # The list is copied now so later changes to the caller's list cannot leak into responses.
    allowed = list(allowed_methods)

    if asgi:

        async def method_not_allowed_async(req: Any, resp: Any, **kwargs: Any) -> NoReturn:
            raise HTTPMethodNotAllowed(allowed)

        return method_not_allowed_async

    def method_not_allowed(req: Any, resp: Any, **kwargs: Any) -> NoReturn:
        raise HTTPMethodNotAllowed(allowed)

    return method_not_allowed


def create_default_options(
    allowed_methods: Iterable[str], asgi: bool = False
) -> SyncResponder | AsyncResponder:
    """Build the responder used for OPTIONS when a resource has no ``on_options``.

    It answers ``200 OK`` with ``Content-Length: 0`` and an ``Allow`` header listing
    ``allowed_methods`` (in the order given). When that list is empty the header is left out, as
    an empty ``Allow`` would claim that nothing at all is allowed.

    Args:
        allowed_methods: The methods the resource handles.
        asgi: Return a coroutine function (for ASGI apps) instead of a plain function.
    """
    # PERF: the header value is joined once here rather than on every OPTIONS request.
    allow = ', '.join(allowed_methods)

    def on_options(req: Any, resp: Any, **kwargs: Any) -> None:
        resp.status = HTTP_200
        if allow:
            resp.set_header('Allow', allow)
        resp.set_header('Content-Length', '0')

    if asgi:

        async def on_options_async(req: Any, resp: Any, **kwargs: Any) -> None:
            on_options(req, resp)

        return on_options_async

    return on_options


__all__ = (
    'bad_request',
    'bad_request_async',
    'create_default_options',
    'create_method_not_allowed',
    'path_not_found',
    'path_not_found_async',
)
