"""A tiny memoising descriptor for the lazy Request properties.

``functools.cached_property`` would do, but on Python 3.11 it takes a per-descriptor lock on every
first access (shared by all requests of all threads). This one stores the computed value in the
instance ``__dict__`` under the property's own name; because it is a non-data descriptor, every
later read is a plain instance-dictionary hit that never calls back into Python code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

_T = TypeVar('_T')

__all__ = ('LAZY_CONTEXT', 'memoized')

LAZY_CONTEXT: Any = object()
"""Stored by Request and Response in place of a default ``Context`` that nobody has asked for
yet; the ``context`` property builds the real one on first access."""


class memoized(Generic[_T]):
    """Compute an attribute on first access and cache it on the instance."""

    __slots__ = ('__dict__', '_func', '_name')

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self._func = func
        self._name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> memoized[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self._func(instance)
        # PERF: later reads find the value in __dict__ before this non-data descriptor.
        instance.__dict__[self._name] = value
        return value
