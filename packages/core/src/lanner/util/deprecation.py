"""Deprecation helpers: a warning class and decorators that emit it."""

from __future__ import annotations

from collections.abc import Callable
import functools
from typing import Any, TypeVar
import warnings

__all__ = (
    'AttributeRemovedError',
    'DeprecatedWarning',
    'deprecated',
    'deprecated_args',
)

_F = TypeVar('_F', bound=Callable[..., Any])


class DeprecatedWarning(UserWarning):
    """A lanner (or Falcon-compatible) API in use is deprecated and will be removed.

    It subclasses :class:`UserWarning` (not :class:`DeprecationWarning`) so that it is shown by
    default.
    """


class AttributeRemovedError(AttributeError):
    """A removed attribute was accessed; the message names its replacement."""


def deprecated(
    instructions: str, is_property: bool = False, method_name: str | None = None
) -> Callable[[_F], _F]:
    """Mark a function, method or property getter as deprecated.

    Each call emits :class:`DeprecatedWarning` with the message
    ``Call to deprecated function <name>(...). <instructions>`` (or
    ``Call to deprecated property <name>. <instructions>`` when ``is_property`` is true).

    Args:
        instructions: What to use instead; appended to the warning message.
        is_property: Word the message for a property rather than a function.
        method_name: Name to show instead of the wrapped function's ``__name__``.

    Returns:
        A decorator that wraps the function.
    """

    def decorator(func: _F) -> _F:
        name = method_name or func.__name__
        if is_property:
            message = f'Call to deprecated property {name}. {instructions}'
        else:
            message = f'Call to deprecated function {name}(...). {instructions}'

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, category=DeprecatedWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def deprecated_args(*, allowed_positional: int, is_method: bool = True) -> Callable[[_F], _F]:
    """Warn when a callable receives more positional arguments than ``allowed_positional``.

    Use it while turning parameters into keyword-only ones.

    Args:
        allowed_positional: How many positional arguments remain allowed (not counting
            ``self`` when ``is_method`` is true).
        is_method: Whether the decorated callable takes ``self`` (or ``cls``) first.

    Returns:
        A decorator that wraps the callable.
    """
    limit = allowed_positional + 1 if is_method else allowed_positional
    if allowed_positional:
        plural = 's' if allowed_positional > 1 else ''
        allowed_text = f'more than {allowed_positional} positional argument{plural}'
    else:
        allowed_text = 'positional arguments'

    def decorator(func: _F) -> _F:
        message = (
            f'Calling {func.__qualname__}(...) with {allowed_text} is deprecated; '
            'pass the remaining arguments by keyword instead.'
        )

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > limit:
                warnings.warn(message, category=DeprecatedWarning, stacklevel=2)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
