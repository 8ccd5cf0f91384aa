"""Helpers every router needs to turn a resource into a method map.

They live in lanner-core (and are re-exported by ``lanner.routing``) so that a third-party router
can be written against lanner-core alone: map the resource's responders with
:func:`map_http_methods`, fill in the defaults with :func:`set_default_responders`, check the
responders suit the app flavour with :func:`validate_responders`, and return the resulting dict
from ``find()``.

All of this runs when a route is added, never per request.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
import functools
from inspect import isasyncgenfunction, iscoroutinefunction, isfunction, ismethod
from typing import Any

from lanner import constants, responders
from lanner.app_helpers import wrap_non_coroutines

# WEBSOCKET is a pseudo-method for on_websocket; it never appears in an Allow header.
_WEBSOCKET = 'WEBSOCKET'


class SuffixedMethodNotFoundError(Exception):
    """``add_route(..., suffix=...)`` found no responder with that suffix on the resource."""


def _responder_name(method: str, suffix: str | None) -> str:
    name = 'on_' + method.lower()
    return f'{name}_{suffix}' if suffix else name


def map_http_methods(
    resource: object, suffix: str | None = None, default_to_on_request: bool = False
) -> dict[str, Callable[..., Any]]:
    """Map each known HTTP method to the resource's responder for it.

    A responder is any callable attribute named ``on_<method>`` (lower-case method name, e.g.
    ``on_get``, ``on_version-control``) or, with ``suffix``, ``on_<method>_<suffix>``. The methods
    are those in :data:`lanner.constants.COMBINED_METHODS` at the time of the call, so verbs an
    app appends to that list before adding routes are picked up.

    Args:
        resource: The resource object.
        suffix: Optional responder-name suffix (``suffix='collection'`` maps ``on_get_collection``).
        default_to_on_request: Accept a resource whose only suffixed responder is
            ``on_request_<suffix>`` (it becomes the default responder elsewhere).

    Returns:
        ``{METHOD: responder}`` for the responders the resource defines, and nothing else.

    Raises:
        SuffixedMethodNotFoundError: ``suffix`` was given but the resource has no responder
            with that suffix.
    """
    method_map: dict[str, Callable[..., Any]] = {}
    for method in constants.COMBINED_METHODS:
        responder = getattr(resource, _responder_name(method, suffix), None)
        if responder is not None and callable(responder):
            method_map[method] = responder

    if suffix and not method_map:
        on_request = getattr(resource, f'on_request_{suffix}', None)
        if not (default_to_on_request and callable(on_request)):
            raise SuffixedMethodNotFoundError(
                f'No responders with the suffix {suffix!r} were found on '
                f'{type(resource).__name__}: expected methods such as on_get_{suffix} or '
                f'on_post_{suffix}. Check the spelling of the suffix or add the responders.'
            )
    return method_map


def set_default_responders(
    method_map: MutableMapping[str, Callable[..., Any]],
    asgi: bool = False,
    default_responder: Callable[..., Any] | None = None,
) -> None:
    """Fill ``method_map`` in place so every known method has a responder.

    * OPTIONS without a responder gets one that answers 200 with ``Allow`` listing the mapped
      methods (sorted, ``Allow`` omitted when there are none).
    * WEBSOCKET without ``on_websocket`` gets a 405 responder.
    * Every other missing method gets ``default_responder`` when given (e.g. ``on_request``
      under ``default_to_on_request``), else a 405 responder whose ``Allow`` lists the mapped
      methods sorted, followed by ``OPTIONS`` when the default OPTIONS responder was installed.

    Args:
        method_map: The map returned by :func:`map_http_methods`; it is modified in place.
        asgi: Install coroutine-function responders (for ASGI apps).
        default_responder: Responder to use for methods the resource does not define.
    """
    allowed = sorted(m for m in method_map if m != _WEBSOCKET)

    if 'OPTIONS' not in method_map:
        method_map['OPTIONS'] = responders.create_default_options(allowed, asgi=asgi)
        allowed.append('OPTIONS')

    not_allowed = responders.create_method_not_allowed(allowed, asgi=asgi)
    fallback = default_responder if default_responder is not None else not_allowed
    for method in constants.COMBINED_METHODS:
        if method not in method_map:
            method_map[method] = not_allowed if method == _WEBSOCKET else fallback


def _unwrap(responder: Callable[..., Any]) -> Callable[..., Any]:
    while isinstance(responder, functools.partial):
        responder = responder.func
    return responder


def _is_async(responder: Callable[..., Any]) -> bool:
    if iscoroutinefunction(responder):
        return True
    if isfunction(responder) or ismethod(responder):
        return False
    # A callable object: look at its class's __call__.
    return iscoroutinefunction(type(responder).__call__)


def _is_python_sync(responder: Callable[..., Any]) -> bool:
    """True for plain Python functions/methods (and callable objects defined in Python)."""
    target = _unwrap(responder)
    if isfunction(target) or ismethod(target):
        return True
    return isfunction(type(target).__call__)


def validate_responders(
    method_map: MutableMapping[str, Callable[..., Any]],
    *,
    asgi: bool,
    uri_template: str | None = None,
) -> None:
    """Check that every responder suits the app flavour.

    ASGI apps await responders, so each must be a coroutine function (``async def``); WSGI apps
    call them directly, so none may be one. Call this after :func:`set_default_responders`.

    Raises:
        TypeError: A responder is of the wrong kind; the message names it.
    """
    where = f' for the route {uri_template!r}' if uri_template is not None else ''
    for method, responder in method_map.items():
        name = getattr(responder, '__qualname__', None) or repr(responder)
        if asgi:
            if isasyncgenfunction(responder) or (
                not _is_async(responder) and _is_python_sync(responder)
            ):
                if not isasyncgenfunction(responder) and wrap_non_coroutines():
                    # Falcon's documented test escape hatch: run the sync responder in the
                    # default executor instead of refusing it.
                    from lanner.util.sync import wrap_sync_to_async

                    method_map[method] = wrap_sync_to_async(responder)
                    continue
                # The middle sentence is Falcon's wording, which applications may match on.
                raise TypeError(
                    f'The {method} responder {name}{where} is synchronous, but lanner.asgi.App '
                    'awaits responders: the responder must be a non-blocking async coroutine '
                    '(i.e., defined using async def) to avoid blocking the main request thread. '
                    'Wrap blocking code with lanner.sync_to_async.'
                )
        elif _is_async(responder) or isasyncgenfunction(responder):
            raise TypeError(
                f'The {method} responder {name}{where} is a coroutine function, but lanner.App '
                '(WSGI) calls responders synchronously: the responder must be a regular '
                'synchronous method to be used with a WSGI app. Define it with "def", or serve '
                'the resource with lanner.asgi.App.'
            )


__all__ = (
    'SuffixedMethodNotFoundError',
    'map_http_methods',
    'set_default_responders',
    'validate_responders',
)
