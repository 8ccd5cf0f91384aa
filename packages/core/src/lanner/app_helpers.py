"""Helpers the App uses at build time: middleware stacks and flavour checks.

Everything here runs when an App is built or changed (``add_middleware``, ``add_sink``,
``add_error_handler``...), never per request: the App keeps the resulting tuples and its request
loop just iterates over them.

Middleware methods an App calls (a component may implement any subset):

=========================  ========================================  ==========================
method                     when                                      flavours
=========================  ========================================  ==========================
process_request            before routing                            both (``_async`` twin)
process_resource           after routing, when a route matched       both (``_async`` twin)
process_response           after the responder or error handler      both (``_async`` twin)
process_teardown           after the body was sent or the client     both (``_async`` twin);
                           went away (lanner addition)               lanner addition
process_startup/_shutdown  ASGI lifespan                             ASGI
process_request_ws         WebSocket handshake, before routing       ASGI
process_resource_ws        WebSocket handshake, after routing        ASGI
=========================  ========================================  ==========================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from inspect import iscoroutinefunction, isfunction, ismethod
import os
from typing import Any, NamedTuple

from lanner._app.error_serializer import default_serialize_error
from lanner.errors import CompatibilityError

__all__ = (
    'MiddlewareStacks',
    'default_serialize_error',
    'is_coroutine_callable',
    'prepare_lifespan',
    'prepare_middleware',
    'prepare_middleware_ws',
    'prepare_teardown',
)

_Hook = Callable[..., Any]

# Methods that make an object a middleware component for lanner.asgi.App even without any of
# the three HTTP methods.
_ASGI_ONLY = ('process_startup', 'process_shutdown', 'process_request_ws', 'process_resource_ws')


class MiddlewareStacks(NamedTuple):
    """Bound middleware methods, prepared once (unpacks like Falcon's 3-tuple).

    With independent middleware, ``request`` holds ``(process_request, None)`` pairs in
    registration order and ``response`` every ``process_response`` in reverse order. With
    dependent middleware, ``request`` holds ``(process_request, process_response)`` pairs (either
    may be None) and ``response`` is empty: the App queues a component's ``process_response``
    only once its ``process_request`` returned, and runs the queue in reverse.
    """

    request: tuple[tuple[_Hook | None, _Hook | None], ...]
    resource: tuple[_Hook, ...]
    response: tuple[_Hook, ...]


def is_coroutine_callable(obj: object) -> bool:
    """True for coroutine functions, methods and objects whose ``__call__`` is one."""
    if iscoroutinefunction(obj):
        return True
    if isfunction(obj) or ismethod(obj):
        return False
    return iscoroutinefunction(getattr(type(obj), '__call__', None))  # noqa: B004


def wrap_non_coroutines() -> bool:
    """Whether the test-only escape hatch ``FALCON_ASGI_WRAP_NON_COROUTINES`` is on."""
    return 'FALCON_ASGI_WRAP_NON_COROUTINES' in os.environ or (
        'LANNER_ASGI_WRAP_NON_COROUTINES' in os.environ
    )


def _inline_async(func: _Hook) -> _Hook:
    # Imported here: lanner.util.sync imports asyncio, which WSGI-only apps never need.
    from lanner.util.sync import wrap_sync_to_async_unsafe

    return wrap_sync_to_async_unsafe(func)


def _require_bound(component: object, name: str, method: object) -> None:
    """Refuse a middleware class passed where an instance belongs (its methods are unbound)."""
    if isinstance(component, type) and isfunction(method):
        raise AttributeError(
            f'{component.__name__}.{name} is not bound: the middleware class itself was given. '
            f'Pass an instance, e.g. middleware=[{component.__name__}()].'
        )


def _pick(component: object, name: str, asgi: bool) -> _Hook | None:
    """The bound method an App of this flavour calls for ``name``, validated (or None)."""
    cls_name = type(component).__name__
    if asgi:
        method = getattr(component, f'{name}_async', None)
        explicit_async = method is not None
        if method is None:
            method = getattr(component, name, None)
        _require_bound(component, name, method)
        if method is not None and not is_coroutine_callable(method):
            # The escape hatch wraps plain methods only: a method named *_async that is not a
            # coroutine function is a bug in the component, whatever the environment says.
            if wrap_non_coroutines() and not explicit_async:
                return _inline_async(method)
            raise CompatibilityError(
                f'{cls_name}.{name} must be a coroutine function (async def) to be used with '
                f'lanner.asgi.App, which awaits it. Define it with "async def", or add an '
                f'"async def {name}_async" twin to a component that also serves WSGI apps.'
            )
        return method
    method = getattr(component, name, None)
    _require_bound(component, name, method)
    if method is not None and is_coroutine_callable(method):
        raise CompatibilityError(
            f'{cls_name}.{name} is a coroutine function, but lanner.App (WSGI) calls middleware '
            'synchronously. Define it with a plain "def", or serve the app with lanner.asgi.App.'
        )
    return method


def prepare_middleware(
    middleware: Iterable[object], independent_middleware: bool = False, asgi: bool = False
) -> MiddlewareStacks:
    """Validate middleware components and bind their methods into stacks.

    Args:
        middleware: The components, in registration order.
        independent_middleware: Build the independent layout (see :class:`MiddlewareStacks`).
        asgi: Prepare for ``lanner.asgi.App`` (coroutine methods, ``*_async`` twins preferred).

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
        if not (process_request or process_resource or process_response):
            exempt = ('process_teardown',) + (_ASGI_ONLY if asgi else ())
            if not any(hasattr(component, name) for name in exempt):
                raise TypeError(
                    f'{component!r} is not a middleware component: it implements none of '
                    'process_request, process_resource or process_response'
                    + (' (nor the ASGI lifespan or WebSocket methods)' if asgi else '')
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


def prepare_middleware_ws(
    middleware: Iterable[object],
) -> tuple[tuple[_Hook, ...], tuple[_Hook, ...]]:
    """Bind ``process_request_ws`` / ``process_resource_ws`` methods (ASGI only).

    Raises:
        CompatibilityError: A method is not a coroutine function.
    """
    request_ws: list[_Hook] = []
    resource_ws: list[_Hook] = []
    for component in middleware:
        for name, target in (
            ('process_request_ws', request_ws),
            ('process_resource_ws', resource_ws),
        ):
            method = getattr(component, name, None)
            if method is None:
                continue
            # Unlike the HTTP middleware methods, these are never wrapped by the
            # FALCON_ASGI_WRAP_NON_COROUTINES escape hatch (as in Falcon): they only exist on
            # ASGI, so no component written for WSGI needs them wrapped.
            if not is_coroutine_callable(method):
                raise CompatibilityError(
                    f'{type(component).__name__}.{name} must be a coroutine function '
                    '(async def): lanner.asgi.App awaits it during the WebSocket handshake.'
                )
            target.append(method)
    return tuple(request_ws), tuple(resource_ws)


def prepare_lifespan(middleware: Iterable[object]) -> tuple[tuple[_Hook, ...], tuple[_Hook, ...]]:
    """Bind ``process_startup`` (registration order) and ``process_shutdown`` (reverse order).

    Raises:
        CompatibilityError: A method is not a coroutine function.
    """
    startup: list[_Hook] = []
    shutdown: list[_Hook] = []
    for component in middleware:
        for name, target in (('process_startup', startup), ('process_shutdown', shutdown)):
            method = getattr(component, name, None)
            if method is None:
                continue
            if not is_coroutine_callable(method):
                if not wrap_non_coroutines():
                    raise CompatibilityError(
                        f'{type(component).__name__}.{name} must be a coroutine function '
                        '(async def): lanner.asgi.App awaits it during the ASGI lifespan '
                        'protocol.'
                    )
                method = _inline_async(method)
            target.append(method)
    shutdown.reverse()
    return tuple(startup), tuple(shutdown)


def prepare_teardown(middleware: Iterable[object], asgi: bool = False) -> tuple[_Hook, ...]:
    """Bind ``process_teardown`` methods in reverse registration order (like the response stack).

    Raises:
        CompatibilityError: A method's sync/async flavour does not match the App.
    """
    teardown = [
        method
        for component in middleware
        if (method := _pick(component, 'process_teardown', asgi)) is not None
    ]
    teardown.reverse()
    return tuple(teardown)
