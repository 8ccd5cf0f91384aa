"""MessagePack media handlers (requires the optional ``msgpack`` package).

``msgpack`` is imported when a handler is *constructed*, never when this module is imported, so
``import lanner.media`` works without it and the failure names the fix.

Untrusted input is safe to unpack: ``msgpack.unpackb`` caps every declared length (strings,
binaries, arrays, maps, extensions) at the size of the buffer it was given, so a 5-byte document
claiming a 4 GiB array fails immediately instead of allocating; nesting is capped by the
unpacker's stack (deep documents raise ``StackError``). Every unpacking failure becomes a 400
``MediaMalformedError``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from lanner.errors import MediaMalformedError, MediaNotFoundError
from lanner.media._whole_body import WholeBodyHandler
from lanner.media.base import BinaryBaseHandlerWS

__all__ = ['MessagePackHandler', 'MessagePackHandlerWS']

_LABEL = 'MessagePack'


def _import_msgpack(handler: str) -> ModuleType:
    try:
        import msgpack
    except ImportError as err:
        raise ImportError(
            f'{handler} requires the optional "msgpack" package, which is not installed. '
            'Install it with: pip install "lanner-core[msgpack]" (or pip install msgpack).'
        ) from err
    module: ModuleType = msgpack
    return module


class MessagePackHandler(WholeBodyHandler):
    """MessagePack request/response media handler (``application/msgpack``).

    Packs with ``use_bin_type=True`` and unpacks with ``raw=False``, so ``str`` and ``bytes``
    survive a round trip as distinct types.

    Raises:
        ImportError: At construction, when ``msgpack`` is not installed.
    """

    def __init__(self) -> None:
        msgpack = _import_msgpack(type(self).__name__)
        packb = msgpack.packb
        unpackb = msgpack.unpackb
        errors = (ValueError, TypeError, msgpack.UnpackException)

        def serialize(obj: object) -> bytes:
            result: bytes = packb(obj, use_bin_type=True)
            return result

        def deserialize(data: bytes) -> object:
            if not data:
                raise MediaNotFoundError(_LABEL)
            try:
                return unpackb(data, raw=False)
            except errors as err:
                raise MediaMalformedError(_LABEL) from err

        self._serialize_bytes = serialize
        self._deserialize_bytes = deserialize
        if type(self) is MessagePackHandler:
            self._serialize_sync = serialize
            self._deserialize_sync = deserialize


class MessagePackHandlerWS(BinaryBaseHandlerWS):
    """WebSocket BINARY payload handler for MessagePack.

    Unpacking errors propagate unchanged (as ``ValueError`` subclasses).

    Raises:
        ImportError: At construction, when ``msgpack`` is not installed.
    """

    def __init__(self) -> None:
        msgpack = _import_msgpack(type(self).__name__)
        self._packb: Any = msgpack.packb
        self._unpackb: Any = msgpack.unpackb

    def serialize(self, media: object) -> bytes:
        """Pack ``media`` into the bytes of a WebSocket message."""
        result: bytes = self._packb(media, use_bin_type=True)
        return result

    def deserialize(self, payload: bytes) -> object:
        """Unpack the bytes of a WebSocket message."""
        return self._unpackb(payload, raw=False)
