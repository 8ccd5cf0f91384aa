"""Hooks: run an action before or after a responder (``lanner.before`` / ``lanner.after``).

A hook decorates one responder method, or a whole resource class (then every responder the class
has or inherits is wrapped: ``on_<method>`` and ``on_<method>_<suffix>`` for every method in
:data:`lanner.constants.COMBINED_METHODS` as it was when this module was imported).

Everything is decided at decoration time: whether the responder is a coroutine function, how the
action must be called, which parameter names extra positional arguments map to. The wrapper that
runs per request only calls the action and the responder.

Sync/async rules: a coroutine responder (``async def``, as ``lanner.asgi.App`` requires) awaits
its actions, so they must be coroutine functions too; a synchronous responder calls its actions
directly, so they must not be. Mismatches raise :class:`lanner.CompatibilityError` when the
decorator is applied, except for callables whose flavour cannot be told in advance (objects with a
``__call__``), which are called and awaited when they return an awaitable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import functools
from inspect import isawaitable
import os
import re
from typing import Any, TypeVar, cast
import warnings

from lanner.app_helpers import is_coroutine_callable
from lanner.constants import COMBINED_METHODS
from lanner.errors import CompatibilityError
from lanner.util.misc import is_python_func

__all__ = ('after', 'before', 'decorate_on_request')

# What the decorators accept and give back unchanged in type: a responder (function or method)
# or a resource class (a class is callable too).
_F = TypeVar('_F', bound=Callable[..., Any])

_FALSY = frozenset(('', '0', 'false', 'f', 'no', 'n', 'off'))


def _env_flag(*names: str) -> bool:
    return any(os.environ.get(name, '').strip().lower() not in _FALSY for name in names)


decorate_on_request: bool = _env_flag('FALCON_DECORATE_ON_REQUEST', 'LANNER_DECORATE_ON_REQUEST')
"""Whether class decoration also wraps ``on_request`` / ``on_request_<suffix>``.

Set it before the decorated class is defined. Defaults to True when the environment variable
``FALCON_DECORATE_ON_REQUEST`` (or ``LANNER_DECORATE_ON_REQUEST``) is set to a true value.
"""

# The suffix must be "_" followed by at least one word character: on_get_items is a responder,
# on_head_ and on_header are not.
_RESPONDER_NAME = re.compile(
    r'on_(?:' + '|'.join(re.escape(m.lower()) for m in COMBINED_METHODS) + r')(?:_\w+)?'
)
_ON_REQUEST_NAME = re.compile(r'on_request(?:_\w+)?')

_Responder = Callable[..., Any]


def before(
    action: Callable[..., Any], *args: Any, is_async: bool = False, **kwargs: Any
) -> Callable[[_F], _F]:
    """Run ``action(req, resp, resource, params, *args, **kwargs)`` before the responder.

    ``params`` is the dict of keyword arguments the responder is about to receive (the URI
    template fields); the action may change it, e.g. to convert or inject values.

    Args:
        action: The callable to run. For coroutine responders it must be a coroutine function.
        *args: Extra positional arguments passed to ``action``.
        is_async: Treat the decorated responder as a coroutine function even if that cannot be
            detected (e.g. a plain function that returns a coroutine object).
        **kwargs: Extra keyword arguments passed to ``action``.

    Returns:
        A decorator for a responder method or a resource class; it returns the same kind of
        object, so type checkers keep the responder's signature or the class.
    """

    def wrap(responder: _Responder) -> _Responder:
        return _wrap_before(responder, action, args, kwargs, is_async)

    return _decorator(wrap)


def after(
    action: Callable[..., Any], *args: Any, is_async: bool = False, **kwargs: Any
) -> Callable[[_F], _F]:
    """Run ``action(req, resp, resource, *args, **kwargs)`` after the responder returned.

    The action does not run when the responder raised an exception.

    Args:
        action: The callable to run. For coroutine responders it must be a coroutine function.
        *args: Extra positional arguments passed to ``action``.
        is_async: Treat the decorated responder as a coroutine function even if that cannot be
            detected.
        **kwargs: Extra keyword arguments passed to ``action``.

    Returns:
        A decorator for a responder method or a resource class; it returns the same kind of
        object, so type checkers keep the responder's signature or the class.
    """

    def wrap(responder: _Responder) -> _Responder:
        return _wrap_after(responder, action, args, kwargs, is_async)

    return _decorator(wrap)


def _decorator(wrap: Callable[[_Responder], _Responder]) -> Callable[[_F], _F]:
    def decorate(target: _F) -> _F:
        if isinstance(target, type):
            _decorate_class(target, wrap)
            return target
        if not callable(target):
            raise TypeError(
                f'lanner.before/lanner.after decorate a responder method or a resource class, '
                f'not {type(target).__name__}.'
            )
        return cast(_F, wrap(target))

    return decorate


def _decorate_class(cls: type, wrap: Callable[[_Responder], _Responder]) -> None:
    skipped: list[str] = []
    for name in dir(cls):
        if not name.startswith('on_'):
            continue
        if _RESPONDER_NAME.fullmatch(name) is None:
            if _ON_REQUEST_NAME.fullmatch(name) is None:
                continue
            if not decorate_on_request:
                skipped.append(name)
                continue
        responder = getattr(cls, name)
        if callable(responder):
            setattr(cls, name, wrap(responder))
    if skipped:
        warnings.warn(
            f'{cls.__name__}.{", ".join(skipped)} was not decorated by the class-level hook: '
            'on_request responders are skipped unless lanner.hooks.decorate_on_request is True '
            '(set it, or the FALCON_DECORATE_ON_REQUEST environment variable, before the class '
            'is defined), or decorate the method itself.',
            UserWarning,
            stacklevel=3,
        )


# ------------------------------------------------------------------ decoration-time analysis


def _wrap_non_coroutines() -> bool:
    # Falcon's escape hatch for reusing sync test resources on ASGI (read at decoration time).
    return 'FALCON_ASGI_WRAP_NON_COROUTINES' in os.environ or (
        'LANNER_ASGI_WRAP_NON_COROUTINES' in os.environ
    )


def _name_of(obj: object) -> str:
    return str(getattr(obj, '__qualname__', None) or getattr(obj, '__name__', None) or repr(obj))


def _async_action(action: Callable[..., Any], responder: _Responder) -> Callable[..., Any]:
    """A callable whose result can always be awaited, for use by a coroutine responder."""
    if is_coroutine_callable(action):
        return action
    if is_python_func(action) and not _wrap_non_coroutines():
        raise CompatibilityError(
            f'The hook action {_name_of(action)} is a synchronous function, but the responder '
            f'{_name_of(responder)} is a coroutine function, which awaits its hooks. Define the '
            'action with "async def" (use lanner.util.sync.sync_to_async inside it for blocking '
            'work).'
        )

    async def call_action(*args: Any, **kwargs: Any) -> None:
        # Callables whose flavour cannot be told in advance: await what they return, if needed.
        result = action(*args, **kwargs)
        if isawaitable(result):
            await result

    return call_action


def _check_sync_action(action: Callable[..., Any], responder: _Responder) -> None:
    if is_coroutine_callable(action):
        raise CompatibilityError(
            f'The hook action {_name_of(action)} is a coroutine function, but the responder '
            f'{_name_of(responder)} is synchronous and cannot await it. Use a plain "def" action '
            'for WSGI responders, or make the responder "async def" for lanner.asgi.App.'
        )


def _extra_argnames(responder: _Responder) -> tuple[str, ...]:
    """Names of the responder's parameters after ``self, req, resp`` (for positional calls)."""
    import inspect

    try:
        parameters = inspect.signature(responder).parameters.values()
    except (TypeError, ValueError):
        return ()
    positional = [
        p.name
        for p in parameters
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return tuple(positional[3:])


def _bind_positional(
    responder: _Responder, names: tuple[str, ...], args: tuple[Any, ...], params: dict[str, Any]
) -> None:
    if len(args) > len(names):
        raise TypeError(
            f'{_name_of(responder)}() received {len(args)} extra positional argument(s) but '
            f'only has {len(names)} parameter(s) after (req, resp) to map them to.'
        )
    params.update(zip(names, args, strict=False))


def _wrap_before(
    responder: _Responder,
    action: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    is_async: bool,
) -> _Responder:
    extra_names = _extra_argnames(responder)

    if is_async or is_coroutine_callable(responder):
        call_action = _async_action(action, responder)
        async_responder = cast(Callable[..., Awaitable[Any]], responder)

        @functools.wraps(responder)
        async def do_before_async(self: Any, req: Any, resp: Any, *pos: Any, **params: Any) -> Any:
            if pos:
                _bind_positional(responder, extra_names, pos, params)
            await call_action(req, resp, self, params, *args, **kwargs)
            return await async_responder(self, req, resp, **params)

        return do_before_async

    _check_sync_action(action, responder)

    @functools.wraps(responder)
    def do_before(self: Any, req: Any, resp: Any, *pos: Any, **params: Any) -> Any:
        if pos:
            _bind_positional(responder, extra_names, pos, params)
        action(req, resp, self, params, *args, **kwargs)
        return responder(self, req, resp, **params)

    return do_before


def _wrap_after(
    responder: _Responder,
    action: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    is_async: bool,
) -> _Responder:
    extra_names = _extra_argnames(responder)

    if is_async or is_coroutine_callable(responder):
        call_action = _async_action(action, responder)
        async_responder = cast(Callable[..., Awaitable[Any]], responder)

        @functools.wraps(responder)
        async def do_after_async(self: Any, req: Any, resp: Any, *pos: Any, **params: Any) -> Any:
            if pos:
                _bind_positional(responder, extra_names, pos, params)
            result = await async_responder(self, req, resp, **params)
            await call_action(req, resp, self, *args, **kwargs)
            return result

        return do_after_async

    _check_sync_action(action, responder)

    @functools.wraps(responder)
    def do_after(self: Any, req: Any, resp: Any, *pos: Any, **params: Any) -> Any:
        if pos:
            _bind_positional(responder, extra_names, pos, params)
        result = responder(self, req, resp, **params)
        action(req, resp, self, *args, **kwargs)
        return result

    return do_after
