"""The Server-Sent Event value object: ``lanner.sse.SSEvent`` (also ``lanner.asgi.SSEvent``).

Wire format (WHATWG HTML, "Server-sent events"): an event is a block of ``field: value`` lines
ended by an empty line. A browser splits the stream into lines on CR, LF *or* CRLF, and a line
starting with ``:`` is a comment.

Invariant: nothing an application stores in an event can add a field or end the event early.

* ``data`` / ``text`` / serialized ``json`` are split on every CR, LF and CRLF into several
  ``data:`` lines (the browser joins them back with LF), so a line break inside the payload is
  always payload.
* ``event``, ``event_id`` and ``comment`` are single-line by nature: a CR, LF or NUL in them is
  rejected with :class:`lanner.UnsafeValueError` (a ``ValueError``; built in a responder, the
  App answers 400), both when the event is built and again when it is serialized
  (the attributes are public and mutable, so construction-time checks alone would not do).
* ``retry`` must be a non-negative ``int`` (``bool`` is refused) and is rendered from its integer
  value, so a subclass cannot smuggle text through ``__str__``.
"""

from __future__ import annotations

import codecs
import functools
import json as _stdlib_json
import re
from typing import Any, Protocol

from lanner.constants import MEDIA_JSON
from lanner.errors import UnsafeValueError

__all__ = ('SSEvent', 'SerializedEvent')

# Every line terminator an EventSource parser recognises (and nothing else: str.splitlines would
# also split on U+2028, form feeds etc., which browsers keep as ordinary characters).
_LINE_BREAK = re.compile(r'\r\n|\r|\n')
_FORBIDDEN_IN_FIELD = re.compile(r'[\r\n\x00]')

_PING = b': ping\n\n'
_FIELDS = ('data', 'text', 'json', 'event', 'event_id', 'retry', 'comment')


class JSONSerializer(Protocol):
    """What ``SSEvent.serialize`` needs from a JSON media handler."""

    def serialize(self, media: object, content_type: str) -> bytes:  # pragma: no cover
        """Render ``media`` as JSON bytes."""
        ...


@functools.lru_cache(maxsize=32)
def _is_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name == 'utf-8'


class SerializedEvent(bytes):
    """The bytes of one serialized event, as returned by :meth:`SSEvent.serialize`.

    It *is* ``bytes`` (Falcon's contract: ``serialize()`` returns bytes, and it can be sent or
    compared as such). It also has :meth:`encode`, so code written for an API where
    ``serialize()`` returned ``str`` - ``event.serialize().encode('utf-8')`` - keeps working.
    """

    __slots__ = ()

    def encode(self, encoding: str = 'utf-8', errors: str = 'strict') -> bytes:
        """Return the event as plain ``bytes`` in ``encoding`` (UTF-8 by default).

        Args:
            encoding: Target encoding. For UTF-8 (the wire encoding of SSE) this is a copy.
            errors: Error handling scheme for other encodings, as in :meth:`str.encode`.
        """
        if _is_utf8(encoding):
            return bytes(self)
        return self.decode('utf-8').encode(encoding, errors)


def check_single_line(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f'SSEvent {name} must be a str, not {type(value).__name__}')
    if _FORBIDDEN_IN_FIELD.search(value):
        raise UnsafeValueError(
            f'SSEvent {name} must not contain a line break (CR or LF) or NUL, got {value!r}: '
            f'a line break would start a new field of the event stream. Remove or replace them '
            f'(only data, text and json may span several lines).'
        )


def _check_retry(retry: object) -> int:
    if not isinstance(retry, int) or isinstance(retry, bool):
        raise TypeError(f'SSEvent retry must be an int (milliseconds), not {type(retry).__name__}')
    value = int(retry)
    if value < 0:
        raise ValueError(f'SSEvent retry must be >= 0 milliseconds, got {value}')
    return value


def _data_lines(payload: str) -> str:
    # PERF: the common single-line payload skips the regex split.
    if '\n' not in payload and '\r' not in payload:
        return f'data: {payload}\n'
    return ''.join(f'data: {line}\n' for line in _LINE_BREAK.split(payload))


class SSEvent:
    """One Server-Sent Event.

    Falcon's signature and field semantics, plus two conveniences: ``data`` may be ``str`` as well
    as ``bytes``, and ``event_type`` is an alias of ``event``.

    Args:
        data: Payload as ``bytes`` (UTF-8) or ``str``. Takes precedence over ``text``/``json``.
        text: Payload as ``str``; used when ``data`` is None.
        json: Any JSON-serialisable object; used when ``data`` and ``text`` are None. Rendered
            with the app's JSON handler when streamed through ``resp.sse``.
        event: Event type (the browser dispatches it to ``addEventListener(event, ...)``).
        event_id: Event id; the browser sends it back as ``Last-Event-ID`` when reconnecting.
        retry: Reconnection delay for the browser, in milliseconds.
        comment: A comment line (ignored by browsers; handy for debugging and keep-alive).
        event_type: Alias of ``event`` (keyword only).

    Raises:
        TypeError: A field has the wrong type (``data`` not bytes/str, ``retry`` not int, ...),
            or ``event`` and ``event_type`` disagree.
        UnsafeValueError: ``event``, ``event_id`` or ``comment`` contains CR, LF or NUL (a
            ``ValueError`` subclass).
        ValueError: ``retry`` is negative.
    """

    __slots__ = ('comment', 'data', 'event', 'event_id', 'json', 'retry', 'text')

    data: bytes | str | None
    text: str | None
    json: Any
    event: str | None
    event_id: str | None
    retry: int | None
    comment: str | None

    def __init__(
        self,
        data: bytes | str | None = None,
        text: str | None = None,
        json: Any = None,
        event: str | None = None,
        event_id: str | None = None,
        retry: int | None = None,
        comment: str | None = None,
        *,
        event_type: str | None = None,
    ) -> None:
        if event_type is not None:
            if event is not None and event != event_type:
                raise TypeError(
                    f'SSEvent got event={event!r} and event_type={event_type!r}; they are two '
                    f'names for the same field, pass only one of them'
                )
            event = event_type
        if data is not None and not isinstance(data, (bytes, str)):
            raise TypeError(f'SSEvent data must be bytes or str, not {type(data).__name__}')
        if text is not None and not isinstance(text, str):
            raise TypeError(f'SSEvent text must be a str, not {type(text).__name__}')
        if event is not None:
            check_single_line('event', event)
        if event_id is not None:
            check_single_line('event_id', event_id)
        if comment is not None:
            check_single_line('comment', comment)
        if retry is not None:
            _check_retry(retry)
        self.data = data
        self.text = text
        self.json = json
        self.event = event
        self.event_id = event_id
        self.retry = retry
        self.comment = comment

    @property
    def event_type(self) -> str | None:
        """Alias of :attr:`event`."""
        return self.event

    @event_type.setter
    def event_type(self, value: str | None) -> None:
        self.event = value

    def serialize(self, handler: JSONSerializer | None = None) -> SerializedEvent:
        """Render the event in the ``text/event-stream`` format.

        Lines, each ended by LF: ``: <comment>``, ``event: <event>``, ``id: <event_id>``,
        ``retry: <retry>``, then the payload from the first of ``data``, ``text`` and ``json`` as
        one ``data:`` line per line of payload; then an empty line. An event with no fields at all
        renders as the keep-alive comment ``: ping``.

        Args:
            handler: JSON media handler for the ``json`` field (its ``serialize(obj,
                content_type)`` is called). Default: stdlib ``json.dumps`` with
                ``ensure_ascii=False``, like lanner's default JSON handler.

        Returns:
            The event as :class:`SerializedEvent` (a ``bytes`` subclass that also has
            ``.encode()``).

        Raises:
            TypeError, ValueError: A field was changed after construction to a value the
                constructor would have refused.
        """
        parts: list[str] = []
        if self.comment is not None:
            check_single_line('comment', self.comment)
            parts.append(f': {self.comment}\n')
        if self.event is not None:
            check_single_line('event', self.event)
            parts.append(f'event: {self.event}\n')
        if self.event_id is not None:
            check_single_line('event_id', self.event_id)
            parts.append(f'id: {self.event_id}\n')
        if self.retry is not None:
            parts.append(f'retry: {_check_retry(self.retry)}\n')

        data = self.data
        if data is not None:
            if isinstance(data, bytes):
                # Decoding doubles as the check that the payload is valid UTF-8.
                parts.append(_data_lines(data.decode('utf-8')))
            elif isinstance(data, str):
                parts.append(_data_lines(data))
            else:
                raise TypeError(f'SSEvent data must be bytes or str, not {type(data).__name__}')
        elif self.text is not None:
            if not isinstance(self.text, str):
                raise TypeError(f'SSEvent text must be a str, not {type(self.text).__name__}')
            parts.append(_data_lines(self.text))
        elif self.json is not None:
            parts.append(_data_lines(_render_json(self.json, handler)))

        if not parts:
            return SerializedEvent(_PING)
        parts.append('\n')
        return SerializedEvent(''.join(parts).encode('utf-8'))

    def __repr__(self) -> str:
        fields = ', '.join(
            f'{name}={getattr(self, name)!r}' for name in _FIELDS if getattr(self, name) is not None
        )
        return f'{type(self).__name__}({fields})'


def _render_json(obj: Any, handler: JSONSerializer | None) -> str:
    if handler is None:
        return _stdlib_json.dumps(obj, ensure_ascii=False)
    rendered: bytes | str = handler.serialize(obj, MEDIA_JSON)
    if isinstance(rendered, str):  # a lenient custom handler; tolerated
        return rendered
    return rendered.decode('utf-8')
