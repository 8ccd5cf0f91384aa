"""Small data structures: ``Context``, ``ETag`` and ``CaseInsensitiveDict``."""

from __future__ import annotations

from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from typing import Any, TypeVar

__all__ = ('CaseInsensitiveDict', 'Context', 'ETag')

_ContextT = TypeVar('_ContextT', bound='Context')
_V = TypeVar('_V')


class Context:
    """An attribute bag that also speaks the mapping protocol.

    Attribute and item access are interchangeable: after ``ctx.user = u``, ``ctx['user'] is u``
    and ``'user' in ctx``. It is the default ``context_type`` of requests and responses. Note
    that storing an item whose name shadows a method (``ctx['get'] = 1``) hides that method.
    """

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__[key] = value

    def __delitem__(self, key: str) -> None:
        del self.__dict__[key]

    def __len__(self) -> int:
        return len(self.__dict__)

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Context):
            return self.__dict__ == other.__dict__
        if isinstance(other, Mapping):
            return self.__dict__ == dict(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None  # type: ignore[assignment]  # mutable, compares by content

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.__dict__!r})'

    def __str__(self) -> str:
        return repr(self)

    def copy(self: _ContextT) -> _ContextT:
        """Return a shallow copy of the same class."""
        duplicate = type(self)()
        duplicate.__dict__.update(self.__dict__)
        return duplicate

    def clear(self) -> None:
        """Remove every item."""
        self.__dict__.clear()

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value for ``key``, or ``default``."""
        return self.__dict__.get(key, default)

    def items(self) -> ItemsView[str, Any]:
        """Return a view of the ``(name, value)`` pairs."""
        return self.__dict__.items()

    def keys(self) -> KeysView[str]:
        """Return a view of the names."""
        return self.__dict__.keys()

    def values(self) -> ValuesView[Any]:
        """Return a view of the values."""
        return self.__dict__.values()

    def pop(self, key: str, default: Any = None) -> Any:
        """Remove ``key`` and return its value, or ``default`` (None) when it is missing.

        Unlike ``dict.pop`` a missing key is never a ``KeyError``, as in Falcon.
        """
        return self.__dict__.pop(key, default)

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the most recently added ``(name, value)`` pair."""
        return self.__dict__.popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Return the value for ``key``, storing ``default`` first if it is missing."""
        return self.__dict__.setdefault(key, default)

    def update(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), /) -> None:
        """Add the items of a mapping or an iterable of pairs."""
        self.__dict__.update(items)


class ETag(str):
    """An entity tag: the opaque tag string (without quotes) plus a weakness flag.

    ``==`` performs the weak comparison (tags equal, weakness ignored); use
    :meth:`strong_compare` for the strong one.

    Attributes:
        is_weak: Whether the tag is weak (``W/"..."``). Defaults to ``False``.
    """

    is_weak: bool = False

    def strong_compare(self, other: ETag) -> bool:
        """Compare with ``other`` using the strong comparison (RFC 9110 section 8.8.3.2).

        Args:
            other: The tag to compare with.

        Returns:
            ``True`` when both tags are equal and neither is weak.
        """
        return self == other and not (self.is_weak or other.is_weak)

    def dumps(self) -> str:
        """Serialise the tag for a header: ``"tag"`` or ``W/"tag"``."""
        if self.is_weak:
            return f'W/"{self}"'
        return f'"{self}"'

    @classmethod
    def loads(cls, etag_str: str) -> ETag:
        """Parse one entity tag such as ``W/"abc"``, ``"abc"`` or ``abc``.

        Args:
            etag_str: The serialised tag; a ``W/`` (or ``w/``) prefix marks it weak and the
                surrounding double quotes are optional.

        Returns:
            The parsed tag.
        """
        value = etag_str
        is_weak = False
        if value[:2] in ('W/', 'w/'):
            is_weak = True
            value = value[2:]
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
        tag = cls(value)
        tag.is_weak = is_weak
        return tag


class CaseInsensitiveDict(MutableMapping[str, _V]):
    """A mutable mapping whose string keys are matched case-insensitively.

    It remembers the case of the most recent key set for each name, which is what iteration
    yields. Equality against any mapping ignores key case.

    Args:
        data: Initial items (a mapping or an iterable of pairs).
        **kwargs: More initial items.
    """

    __slots__ = ('_store',)

    def __init__(
        self, data: Mapping[str, _V] | Iterable[tuple[str, _V]] | None = None, **kwargs: _V
    ) -> None:
        self._store: dict[str, tuple[str, _V]] = {}
        if data is None:
            data = {}
        self.update(data, **kwargs)

    def __setitem__(self, key: str, value: _V) -> None:
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key: str) -> _V:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (cased for cased, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._store

    def lower_items(self) -> Iterator[tuple[str, _V]]:
        """Iterate over ``(lower-cased key, value)`` pairs."""
        return ((lower, pair[1]) for lower, pair in self._store.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        other_ci = other if isinstance(other, CaseInsensitiveDict) else CaseInsensitiveDict(other)
        return dict(self.lower_items()) == dict(other_ci.lower_items())

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> CaseInsensitiveDict[_V]:
        """Return a shallow copy."""
        return CaseInsensitiveDict(self._store.values())

    def __repr__(self) -> str:
        return f'{type(self).__name__}({dict(self.items())!r})'
