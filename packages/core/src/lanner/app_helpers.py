"""Helpers the App uses at build time: middleware stacks and error-serializer plumbing.

Everything here runs when an App is built or changed (``add_middleware``), never per request:
the App keeps the resulting tuples and its request loop just iterates over them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from inspect import iscoroutinefunction
from typing import Any, NamedTuple

from lanner.errors import CompatibilityError

__all__ = (
    'MiddlewareStacks',
    'default_serialize_error',
    'prepare_middleware',
    'prepare_middleware_ws',
)

_Hook = Callable[..., Any]


class MiddlewareStacks(NamedTuple):
    """Bound middleware methods, prepared once.

    ``request`` holds ``(process_request, process_response)`` pairs in registration order: with
    dependent middleware the App queues a component's ``process_response`` only once its
    ``process_request`` ran; with independent middleware the pair's second item is None and
    ``response`` holds every ``process_response`` in reverse order.
    """

    request: tuple[tuple[_Hook | None, _Hook | None], ...]
    resource: tuple[_Hook, ...]
    response: tuple[_Hook, ...]


_ASGI_ONLY = ('process_startup', 'process_shutdown', 'process_request_ws', 'process_resource_ws')


def _pick(component: object, name: str, asgi: bool) -> _Hook | None:
    """The method an App of this flavour should call for ``name``, validated."""
    cls_name = type(component).__name__
    if asgi:
        method = getattr(component, f'{name}_async', None) or getattr(component, name, None)
        if method is not None and not iscoroutinefunction(method):
            raise CompatibilityError(
                f'{cls_name}.{name} must be a coroutine function (async def) to be used with '
                f'lanner.asgi.App; define it with "async def", or provide {name}_async for a '
                'component that also serves WSGI apps.'
            )
        return method
    method = getattr(component, name, None)
    if method is not None and iscoroutinefunction(method):
        raise CompatibilityError(
            f'{cls_name}.{name} is a coroutine function, but lanner.App (WSGI) calls middleware '
            'synchronously. Use a plain "def", or serve the app with lanner.asgi.App.'
        )
    return method


def prepare_middleware(
    middleware: Iterable[object], independent_middleware: bool = False, asgi: bool = False
) -> MiddlewareStacks:
    """Validate middleware components and bind their methods into stacks.

    Raises:
        TypeError: A component implements none of the middleware methods.
        CompatibilityError: A method's sync/async flavour does not match the App.
    """
    request: list[tuple[_Hook | None, _Hook | None]] = []
    resource: list[_Hook] = []
    response: list[_Hook] = []
    for component in middleware:
        process_request = _pick(component, 'process_request', asgi)
        process_resource = _pick(component, 'process_resource', asgi)
        process_response = _pick(component, 'process_response', asgi)
        has_other = asgi and any(hasattr(component, n) for n in _ASGI_ONLY)
        if not (process_request or process_resource or process_response or has_other):
            raise TypeError(
                f'{component!r} is not a middleware component: it implements none of '
                'process_request, process_resource or process_response'
                + (' (nor the ASGI lifespan/WebSocket methods)' if asgi else '')
                + '. Pass an instance of a class that defines at least one of them.'
            )
        if independent_middleware:
            if process_request:
                request.append((process_request, None))
            if process_response:
                response.insert(0, process_response)
        elif process_request or process_response:
            request.append((process_request, process_response))
        if process_resource:
            resource.append(process_resource)
    return MiddlewareStacks(tuple(request), tuple(resource), tuple(response))


def prepare_middleware_ws(middleware: Iterable[object]) -> tuple[tuple[_Hook, ...], tuple[_Hook, ...]]:
    """Bind ``process_request_ws`` / ``process_resource_ws`` methods (ASGI only)."""
    request_ws: list[_Hook] = []
    resource_ws: list[_Hook] = []
    for component in middleware:
        for name, target in (('process_request_ws', request_ws), ('process_resource_ws', resource_ws)):
            method = getattr(component, name, None)
            if method is None:
                continue
            if not iscoroutinefunction(method):
                raise CompatibilityError(
                    f'{type(component).__name__}.{name} must be a coroutine function (async def).'
                )
            target.append(method)
    return tuple(request_ws), tuple(resource_ws)


def default_serialize_error(req: Any, resp: Any, exception: Any) -> None:
    """Falcon's default error serializer (JSON/XML/other media negotiated on ``Accept``)."""
    from lanner._error_serializer import default_serialize_error as serialize

    serialize(req, resp, exception)
