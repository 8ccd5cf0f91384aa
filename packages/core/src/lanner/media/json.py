"""JSON media handlers (HTTP bodies and WebSocket TEXT payloads).

The default engine is orjson, a required dependency of lanner-core: it is several times faster
than the standard library and validates its input strictly. Behaviour that differs from Falcon's
stdlib default, all deliberate and documented in docs/media.md:

* Output is compact (``{"a":1}``), UTF-8, with no spaces after separators.
* Objects orjson refuses (non-str dict keys, integers beyond 64 bits, nesting deeper than its
  serializer allows, circular references) fall back to the standard library encoder with the
  same compact separators, so anything ``json.dumps`` accepts still renders.
* Parsing rejects documents nested deeper than 1024 levels, invalid UTF-8, lone surrogates, a
  BOM, ``NaN``/``Infinity`` and numbers that overflow a double, all as 400
  ``MediaMalformedError`` (whose cause is the stdlib parser's error when it refuses the input
  too, as in Falcon). Integers beyond the 64-bit range stay exact: a body with a run of 20 or
  more digits is parsed again by the stdlib parser (orjson would turn them into floats).

Custom ``dumps``/``loads`` (stdlib ``json`` with options, msgspec, ...) are accepted exactly as in
Falcon: ``dumps`` may return ``str`` or ``bytes`` (detected once, at construction); the body is
decoded as UTF-8 before ``loads`` sees it; and the exception class ``loads`` raises for invalid
input is learned at construction so that libraries whose errors are not ``ValueError`` still
produce a 400.
"""

from __future__ import annotations

from collections.abc import Callable
import json as _stdlib_json
from typing import Any, cast

import orjson

from lanner.errors import MediaMalformedError, MediaNotFoundError
from lanner.media._whole_body import WholeBodyHandler
from lanner.media.base import TextBaseHandlerWS

__all__ = ['JSONHandler', 'JSONHandlerWS']

_LABEL = 'JSON'

_fallback_encoder = _stdlib_json.JSONEncoder(ensure_ascii=False, separators=(',', ':'))


def _dumps_orjson(obj: object) -> bytes:
    # PERF: the plain call is the common case; the retries only run for inputs orjson refuses.
    try:
        return orjson.dumps(obj)
    except TypeError:
        pass
    try:
        # Non-str keys (ints, UUIDs, ...): the stdlib stringifies int keys, so must we.
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        pass
    # Integers beyond 64 bits, very deep nesting, and anything else the stdlib can encode.
    return _fallback_encoder.encode(obj).encode('utf-8')


# Every byte -> b'1' for an ASCII digit, b'0' otherwise; with _LONG_DIGIT_RUN this finds a run
# of 20 digits. orjson keeps integers up to 64 bits exact (at most 20 digits) but turns longer
# ones into floats, silently dropping digits; Falcon's stdlib parser keeps them exact.
_DIGIT_MASK = bytes(0x31 if 0x30 <= byte <= 0x39 else 0x30 for byte in range(256))
_LONG_DIGIT_RUN = b'1' * 20


def _stdlib_error(data: bytes) -> ValueError | None:
    """The error Falcon's stdlib parser gives for ``data`` (None if it accepts it)."""
    try:
        _stdlib_json.loads(data.decode('utf-8'))
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        return err
    except RecursionError:
        return None
    return None


def _loads_exact(data: bytes) -> object:
    try:
        return _stdlib_json.loads(data.decode('utf-8'))
    except (ValueError, RecursionError) as err:
        # ValueError here: an integer beyond Python's digit limit (int_max_str_digits).
        raise MediaMalformedError(_LABEL) from err


def _loads_orjson(data: bytes) -> object:
    if not data:
        raise MediaNotFoundError(_LABEL)
    try:
        result = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        # The error path only: chain the stdlib parser's error when it also refuses the input,
        # so the cause reads as under Falcon.
        raise MediaMalformedError(_LABEL) from (_stdlib_error(data) or err)
    # PERF: one C-level translate and substring search (under a microsecond for typical bodies);
    # only a body with a 20-digit run is parsed again, by the exact (slower) stdlib parser.
    if len(data) >= 20 and _LONG_DIGIT_RUN in data.translate(_DIGIT_MASK):
        return _loads_exact(data)
    return result


def _learn_error_types(loads: Callable[[str], Any]) -> tuple[type[BaseException], ...]:
    """Find the exception class a custom ``loads`` raises for invalid input."""
    errors: list[type[BaseException]] = [ValueError, RecursionError]
    try:
        loads('{"unterminated": ')
    except Exception as err:  # probing a third-party function on purpose
        if not isinstance(err, ValueError):
            errors.append(type(err))
    return tuple(errors)


class JSONHandler(WholeBodyHandler):
    """JSON request/response media handler.

    Args:
        dumps: Optional function serializing an object to ``str`` or ``bytes``. Defaults to
            orjson (compact UTF-8 output).
        loads: Optional function deserializing a ``str``. Defaults to orjson (which reads the
            raw bytes directly).
    """

    def __init__(
        self,
        dumps: Callable[..., str | bytes] | None = None,
        loads: Callable[..., Any] | None = None,
    ) -> None:
        self._dumps = dumps
        self._loads = loads

    # ``_dumps`` and ``_loads`` are properties because code written for Falcon swaps them on a
    # live handler (Falcon's handler reads them on every call). lanner builds its bytes
    # functions once instead, so assigning either rebuilds them.

    @property
    def _dumps(self) -> Callable[..., str | bytes] | None:
        return self._custom_dumps

    @_dumps.setter
    def _dumps(self, dumps: Callable[..., str | bytes] | None) -> None:
        self._custom_dumps = dumps
        serialize: Callable[[Any], bytes]
        if dumps is None:
            serialize = _dumps_orjson
        elif isinstance(dumps({'probe': 1}), bytes):
            serialize = cast(Callable[[Any], bytes], dumps)
        else:
            str_dumps = dumps

            def serialize(obj: object) -> bytes:
                return cast(str, str_dumps(obj)).encode('utf-8')

        self._serialize_bytes = serialize
        if type(self) is JSONHandler:
            # Subclasses may override serialize; only the exact class advertises a fast path.
            self._serialize_sync = serialize

    @property
    def _loads(self) -> Callable[..., Any] | None:
        return self._custom_loads

    @_loads.setter
    def _loads(self, loads: Callable[..., Any] | None) -> None:
        self._custom_loads = loads
        deserialize: Callable[[bytes], Any]
        if loads is None:
            deserialize = _loads_orjson
        else:
            str_loads = loads
            caught = _learn_error_types(loads)

            def deserialize(data: bytes) -> object:
                if not data:
                    raise MediaNotFoundError(_LABEL)
                try:
                    # Decoding first matches Falcon (loads receives str); invalid UTF-8 is a
                    # ValueError and becomes a 400 like any other parse error.
                    return str_loads(data.decode('utf-8'))
                except caught as err:
                    raise MediaMalformedError(_LABEL) from err

        self._deserialize_bytes = deserialize
        if type(self) is JSONHandler:
            # Subclasses may override deserialize; only the exact class advertises a fast path.
            self._deserialize_sync = deserialize


class JSONHandlerWS(TextBaseHandlerWS):
    """WebSocket TEXT payload handler for JSON.

    Errors from ``dumps``/``loads`` propagate unchanged (there is no HTTP status to map them
    to); the WebSocket layer decides what a bad message means.

    Args:
        dumps: Optional function serializing an object to ``str`` (``bytes`` is accepted and
            decoded as UTF-8). Defaults to orjson.
        loads: Optional function deserializing a ``str``. Defaults to orjson.
    """

    def __init__(
        self,
        dumps: Callable[..., str | bytes] | None = None,
        loads: Callable[..., Any] | None = None,
    ) -> None:
        self._dumps = dumps
        self._loads: Callable[..., Any] = loads if loads is not None else orjson.loads
        self._dumps_returns_bytes = dumps is None or isinstance(dumps({'probe': 1}), bytes)

    def serialize(self, media: object) -> str:
        """Serialize ``media`` to the text of a WebSocket message."""
        if self._dumps is None:
            return _dumps_orjson(media).decode('utf-8')
        result = self._dumps(media)
        if self._dumps_returns_bytes:
            return cast(bytes, result).decode('utf-8')
        return cast(str, result)

    def deserialize(self, payload: str) -> object:
        """Parse the text of a WebSocket message."""
        return self._loads(payload)
