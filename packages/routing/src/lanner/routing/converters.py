"""Field converters: turn a URI template field's text into a Python value, or reject it.

A converter is referenced from a template as ``{field:name}`` or ``{field:name(args)}``. One
instance is created per field occurrence when the route is added, and shared by every request
that is routed through it, so converters must be thread-safe (the built-in ones hold only
immutable configuration).

``convert()`` returns the converted value, or ``None`` to say "this segment does not fit"; the
router then tries the next candidate route, so a failed conversion ends in a 404, never a 400.

Reverse routing (``url_for``) uses ``to_str()``, an addition of lanner: it formats a value the
way ``convert()`` would accept it. The router double-checks the result by feeding it back to
``convert()``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import datetime
import math
import re
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import uuid

__all__ = (
    'BUILTIN',
    'BaseConverter',
    'DateTimeConverter',
    'FloatConverter',
    'IntConverter',
    'PathConverter',
    'RegexConverter',
    'UUIDConverter',
)


class BaseConverter(abc.ABC):
    """Base class for field converters.

    Subclasses implement :meth:`convert`. Set ``CONSUME_MULTIPLE_SEGMENTS = True`` for a converter
    that takes every remaining path segment: it then receives a list of strings, may only be used
    as the whole last segment of a template, and needs at least one remaining segment (which may
    be empty, as in a path ending with ``/``).
    """

    CONSUME_MULTIPLE_SEGMENTS: ClassVar[bool] = False
    """Whether :meth:`convert` receives all remaining segments instead of one."""

    @abc.abstractmethod
    def convert(self, value: Any) -> Any:
        """Convert a field's text (or list of segments); return ``None`` to reject it."""

    def to_str(self, value: Any) -> str:
        """Format ``value`` for reverse routing so that :meth:`convert` accepts it again.

        The default is ``str(value)``. Multi-segment converters return the segments joined
        with ``/``.
        """
        return str(value)


def _check_bound(name: str, bound: Any) -> None:
    if bound is not None and not isinstance(bound, (int, float)):
        raise TypeError(f'{name} must be a number or None, not {type(bound).__name__}')


class IntConverter(BaseConverter):
    """Convert a field to :class:`int`: ``{id:int}``, ``{id:int(4)}``, ``{id:int(min=1)}``.

    Args:
        num_digits: Exact number of characters the field must have (a sign counts as one).
        min: Smallest accepted value.
        max: Largest accepted value.

    Text with surrounding whitespace is rejected even though :func:`int` would accept it.
    """

    __slots__ = ('_max', '_min', '_num_digits')

    def __init__(
        self, num_digits: int | None = None, min: int | None = None, max: int | None = None
    ) -> None:
        if num_digits is not None:
            if isinstance(num_digits, bool) or not isinstance(num_digits, int):
                raise TypeError(
                    f'num_digits must be an int or None, not {type(num_digits).__name__}'
                )
            if num_digits < 1:
                raise ValueError(f'num_digits must be at least 1, not {num_digits}')
        _check_bound('min', min)
        _check_bound('max', max)
        self._num_digits = num_digits
        self._min = min
        self._max = max

    def convert(self, value: str) -> int | None:
        if self._num_digits is not None and len(value) != self._num_digits:
            return None
        # Strict: [+-]?[0-9]+ in ASCII. int() also takes surrounding whitespace, underscores
        # ('1_000') and non-ASCII digits; a URI field must not.
        digits = value[1:] if value[:1] in ('-', '+') else value
        if not digits or not (digits.isascii() and digits.isdigit()):
            return None
        try:
            number = int(value)
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            return None
        if self._min is not None and number < self._min:
            return None
        if self._max is not None and number > self._max:
            return None
        return number

    def to_str(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f'expected an int, not {type(value).__name__}')
        if self._num_digits is None:
            return str(value)
        # Zero-pad so a fixed-width field (e.g. int(4)) round-trips: 7 -> '0007', -7 -> '-007'.
        sign = '-' if value < 0 else ''
        return sign + str(abs(value)).zfill(self._num_digits - len(sign))

    def __repr__(self) -> str:
        return (
            f'IntConverter(num_digits={self._num_digits!r}, min={self._min!r}, max={self._max!r})'
        )


class FloatConverter(BaseConverter):
    """Convert a field to :class:`float`: ``{ratio:float}``, ``{v:float(min=0.5)}``.

    Args:
        min: Smallest accepted value.
        max: Largest accepted value.
        finite: Reject ``nan`` and infinities (the default).
    """

    __slots__ = ('_finite', '_max', '_min')

    def __init__(
        self, min: float | None = None, max: float | None = None, finite: bool | None = True
    ) -> None:
        _check_bound('min', min)
        _check_bound('max', max)
        self._min = min
        self._max = max
        # None means "the default", as in Falcon: only an explicit False admits nan/inf.
        self._finite = True if finite is None else bool(finite)

    def convert(self, value: str) -> float | None:
        if value.strip() != value:
            return None
        try:
            number = float(value)
        except ValueError:
            return None
        if self._finite and not math.isfinite(number):
            return None
        if self._min is not None and number < self._min:
            return None
        if self._max is not None and number > self._max:
            return None
        return number

    def to_str(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f'expected a float, not {type(value).__name__}')
        return repr(float(value))

    def __repr__(self) -> str:
        return f'FloatConverter(min={self._min!r}, max={self._max!r}, finite={self._finite!r})'


class UUIDConverter(BaseConverter):
    """Convert a field to :class:`uuid.UUID` (``{id:uuid}``).

    Anything :class:`uuid.UUID` parses is accepted: with or without hyphens, in braces, or with
    a ``urn:uuid:`` prefix.
    """

    __slots__ = ('_uuid',)

    def __init__(self) -> None:
        # Imported here so that apps without uuid fields do not pay for the module.
        import uuid

        self._uuid = uuid.UUID

    def convert(self, value: str) -> uuid.UUID | None:
        try:
            return self._uuid(value)
        except ValueError:
            return None

    def to_str(self, value: Any) -> str:
        if isinstance(value, self._uuid):
            return str(value)
        if isinstance(value, str):
            return str(self._uuid(value))
        raise TypeError(f'expected a uuid.UUID, not {type(value).__name__}')

    def __repr__(self) -> str:
        return 'UUIDConverter()'


class DateTimeConverter(BaseConverter):
    """Convert a field to :class:`~datetime.datetime` with :meth:`datetime.strptime`.

    Args:
        format_string: The ``strptime`` format; the default ``'%Y-%m-%dT%H:%M:%S%z'`` yields
            timezone-aware values. Example: ``{day:dt("%Y-%m-%d")}``.
    """

    __slots__ = ('_format_string',)

    def __init__(self, format_string: str = '%Y-%m-%dT%H:%M:%S%z') -> None:
        if not isinstance(format_string, str):
            raise TypeError(f'format_string must be a str, not {type(format_string).__name__}')
        self._format_string = format_string

    def convert(self, value: str) -> datetime | None:
        try:
            return datetime.strptime(value, self._format_string)
        except (ValueError, OverflowError):
            return None

    def to_str(self, value: Any) -> str:
        if not isinstance(value, datetime):
            raise TypeError(f'expected a datetime, not {type(value).__name__}')
        return value.strftime(self._format_string)

    def __repr__(self) -> str:
        return f'DateTimeConverter({self._format_string!r})'


class PathConverter(BaseConverter):
    """Capture every remaining segment as one string: ``/files/{rest:path}``.

    ``/files/{rest:path}`` matches ``/files/a/b.txt`` (``rest='a/b.txt'``) and ``/files/``
    (``rest=''``), but not ``/files``.
    """

    __slots__ = ()

    CONSUME_MULTIPLE_SEGMENTS: ClassVar[bool] = True

    def convert(self, value: Sequence[str]) -> str:
        return '/'.join(value)

    def to_str(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f'expected a str, not {type(value).__name__}')
        return value

    def __repr__(self) -> str:
        return 'PathConverter()'


class RegexConverter(BaseConverter):
    """Accept a field only if the whole value matches a regular expression: ``{code:re("[a-z]+")}``.

    Args:
        pattern: The regular expression (a :class:`str`); it must match the entire segment.
        group: The name of a group in ``pattern`` whose text becomes the field's value instead of
            the whole segment. A group that did not take part in the match rejects the value.

    The converter works on one segment; a subclass may set ``CONSUME_MULTIPLE_SEGMENTS = True``
    and join the segments itself before calling ``super().convert()``. A ``/`` or ``}`` cannot
    appear literally in template arguments; write them as ``\\x2f`` and ``\\x7d``.

    Raises:
        ValueError: ``pattern`` is not a valid ``str`` pattern, or ``group`` is not one of its
            named groups.
    """

    __slots__ = ('_group', '_pattern')

    def __init__(self, pattern: str, group: str | None = None) -> None:
        if not isinstance(pattern, str):
            raise ValueError(
                f'invalid regex pattern for RegexConverter: {pattern!r} (expected a str '
                f'pattern, not {type(pattern).__name__})'
            )
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f'invalid regex pattern for RegexConverter: {pattern!r} ({exc})'
            ) from exc
        if group is not None and group not in compiled.groupindex:
            names = ', '.join(repr(n) for n in compiled.groupindex) or 'none'
            raise ValueError(
                f'regex pattern {pattern!r} does not contain named group {group!r} '
                f'(its named groups: {names})'
            )
        self._pattern = compiled
        self._group = group

    def convert(self, value: str) -> str | None:
        matched = self._pattern.fullmatch(value)
        if matched is None:
            return None
        if self._group is None:
            return value
        captured: str | None = matched.group(self._group)
        return captured

    def to_str(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f'expected a str, not {type(value).__name__}')
        if self._group is not None:
            # Only the group is known; the text around it cannot be rebuilt in general.
            raise ValueError(
                f'cannot rebuild a segment from the group {self._group!r} of '
                f'{self._pattern.pattern!r}; build this URL by hand'
            )
        if self._pattern.fullmatch(value) is None:
            raise ValueError(f'{value!r} does not match {self._pattern.pattern!r}')
        return value

    def __repr__(self) -> str:
        return f'RegexConverter({self._pattern.pattern!r}, group={self._group!r})'


BUILTIN: tuple[tuple[str, type[BaseConverter]], ...] = (
    ('int', IntConverter),
    ('dt', DateTimeConverter),
    ('uuid', UUIDConverter),
    ('float', FloatConverter),
    ('path', PathConverter),
    ('re', RegexConverter),
)
"""The converters every router knows, as ``(name, class)`` pairs."""
