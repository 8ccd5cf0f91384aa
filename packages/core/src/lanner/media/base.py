"""Abstract media handlers for HTTP bodies and WebSocket payloads.

A *media handler* turns a Python object into bytes for a response body (``serialize``) and a
request body back into an object (``deserialize``). WSGI apps only ever call the synchronous
methods; ASGI apps only call the ``*_async`` variants, with one exception: JSON is also rendered
synchronously (error bodies, SSE ``json=`` events, ``get_param_as_json``), which is why the JSON
notes in the ``NotImplementedError`` messages below exist.
"""

from __future__ import annotations

from collections.abc import Callable
import io
import sys
from typing import IO, Any, ClassVar, Protocol

__all__ = [
    'AsyncReadableStream',
    'BaseHandler',
    'BinaryBaseHandlerWS',
    'DeserializeSync',
    'MissingDependencyHandler',
    'SerializeSync',
    'TextBaseHandlerWS',
]

#: Fast-path signature: object -> body bytes (no content type needed).
SerializeSync = Callable[[Any], bytes]
#: Fast-path signature: whole body bytes -> object. Must raise the same Media* errors as
#: ``deserialize`` (including ``MediaNotFoundError`` for ``b''``).
DeserializeSync = Callable[[bytes], Any]

_JSON_SYNC_NOTE = (
    ' The JSON media handler requires the sync interface even in ASGI apps: lanner renders '
    'JSON synchronously in a few places (error bodies, SSE json= events, get_param_as_json), '
    'so implement the synchronous method as well.'
)


def _not_implemented(message: str) -> NotImplementedError:
    """A bare ``NotImplementedError`` (as Falcon raises) that still explains itself.

    The explanation is a PEP 678 note, which tracebacks show (Python 3.11+); older Pythons get
    it as the message.
    """
    error = NotImplementedError()
    if sys.version_info >= (3, 11):
        error.add_note(message)
    else:  # pragma: no cover - Python 3.10
        error.args = (message,)
    return error


class AsyncReadableStream(Protocol):
    """What ``deserialize_async`` needs from a request stream: an awaitable ``read``."""

    async def read(self, size: int | None = ..., /) -> bytes: ...


class BaseHandler:
    """Base class for HTTP media handlers.

    Subclasses implement :meth:`serialize` and/or :meth:`deserialize` (for WSGI and JSON) and may
    override the ``*_async`` variants for ASGI; by default the async variants delegate to the
    synchronous ones.

    Attributes:
        exhaust_stream: When True, the framework drains whatever the handler left unread in the
            request body after deserialisation (also when it failed), so that keep-alive
            connections stay usable. Handlers that may stop reading early set it.
        streams_body: lanner addition. True for handlers that never hold the whole body in
            memory (multipart forms): ``RequestOptions.max_body_size`` does not apply to them,
            while an explicit ``get_media(max_size=...)`` or route limit still does.
        _serialize_sync: Optional fast path (``obj -> bytes``) the framework calls instead of
            :meth:`serialize` when it is not None.
        _deserialize_sync: Optional fast path (``bytes -> obj``) the framework calls with the
            whole body instead of :meth:`deserialize` when it is not None.
    """

    exhaust_stream: ClassVar[bool] = False
    streams_body: ClassVar[bool] = False

    # Instances may set these (built-in handlers do so only when not subclassed, so that a
    # subclass overriding serialize/deserialize is never bypassed).
    _serialize_sync: SerializeSync | None = None
    _deserialize_sync: DeserializeSync | None = None

    def serialize(self, media: object, content_type: str) -> bytes:
        """Serialize ``media`` into bytes for a response body.

        Args:
            media: The object to serialize.
            content_type: The response Content-Type, parameters included.

        Returns:
            The encoded body.
        """
        message = f'{type(self).__name__} does not implement serialize().'
        if 'application/json' in content_type:
            message += _JSON_SYNC_NOTE
        raise _not_implemented(message)

    async def serialize_async(self, media: object, content_type: str) -> bytes:
        """Serialize ``media`` for an ASGI response (defaults to :meth:`serialize`)."""
        return self.serialize(media, content_type)

    def deserialize(
        self, stream: IO[bytes], content_type: str | None, content_length: int | None
    ) -> object:
        """Deserialize a request body.

        Args:
            stream: A readable, bounded byte stream (``req.bounded_stream`` or a BytesIO).
            content_type: The request Content-Type, parameters included.
            content_length: The body length if known, else None.

        Returns:
            The decoded object.
        """
        message = f'{type(self).__name__} does not implement deserialize().'
        if content_type is not None and 'application/json' in content_type:
            message += _JSON_SYNC_NOTE
        raise _not_implemented(message)

    async def deserialize_async(
        self,
        stream: AsyncReadableStream,
        content_type: str | None,
        content_length: int | None,
    ) -> object:
        """Deserialize an ASGI request body.

        The default implementation reads the whole stream and hands a BytesIO to
        :meth:`deserialize`, so a sync-only handler works unchanged in ASGI apps.
        """
        data = await stream.read()
        return self.deserialize(io.BytesIO(data), content_type, len(data))


class TextBaseHandlerWS:
    """Base class for WebSocket handlers of TEXT payloads (``str`` on the wire)."""

    def serialize(self, media: object) -> str:
        """Serialize ``media`` into the text of one WebSocket message."""
        raise NotImplementedError(f'{type(self).__name__} does not implement serialize().')

    def deserialize(self, payload: str) -> object:
        """Deserialize the text of one WebSocket message."""
        raise NotImplementedError(f'{type(self).__name__} does not implement deserialize().')


class BinaryBaseHandlerWS:
    """Base class for WebSocket handlers of BINARY payloads (bytes on the wire)."""

    def serialize(self, media: object) -> bytes | bytearray | memoryview:
        """Serialize ``media`` into the bytes of one WebSocket message."""
        raise NotImplementedError(f'{type(self).__name__} does not implement serialize().')

    def deserialize(self, payload: bytes) -> object:
        """Deserialize the bytes of one WebSocket message."""
        raise NotImplementedError(f'{type(self).__name__} does not implement deserialize().')


class MissingDependencyHandler(BinaryBaseHandlerWS, TextBaseHandlerWS):
    """Stand-in for a handler whose third-party library is not installed.

    It can be registered (so that building defaults never fails) but any use raises a
    RuntimeError naming the library and how to install it.

    Args:
        handler: Name of the handler that could not be built (e.g. ``'MessagePackHandlerWS'``).
        library: Name of the missing distribution (e.g. ``'msgpack'``).
    """

    def __init__(self, handler: str, library: str) -> None:
        self._message = (
            f'The {handler} handler requires the {library!r} package, which is not installed. '
            f'Install it with: pip install {library}'
        )

    def _fail(self) -> RuntimeError:
        return RuntimeError(self._message)

    def serialize(self, media: object, content_type: str | None = None) -> Any:
        """Always raises RuntimeError (the library is missing)."""
        raise self._fail()

    def deserialize(self, *args: Any, **kwargs: Any) -> Any:
        """Always raises RuntimeError (the library is missing)."""
        raise self._fail()

    async def serialize_async(self, media: object, content_type: str) -> bytes:
        """Always raises RuntimeError (the library is missing)."""
        raise self._fail()

    async def deserialize_async(self, *args: Any, **kwargs: Any) -> Any:
        """Always raises RuntimeError (the library is missing)."""
        raise self._fail()
