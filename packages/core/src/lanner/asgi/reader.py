"""Async twin of :class:`lanner.util.reader.BufferedReader` (the basis of ASGI multipart).

Like the sync reader it is a thin driver over :class:`lanner._wire.receive_buffer.ReceiveBuffer`
(its invariants are written at the top of that module): it only awaits the source when the
buffer needs more data. This module must not import asyncio (it only awaits what it is given).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
import inspect
from typing import Any, Protocol, TypeVar

from lanner._wire.receive_buffer import ReceiveBuffer
from lanner.errors import OperationNotAllowed
from lanner.util.reader import DEFAULT_CHUNK_SIZE

__all__ = ['BufferedReader']


class _AsyncReadable(Protocol):
    async def read(self, size: int | None = ..., /) -> bytes: ...


_T = TypeVar('_T')

_Source = _AsyncReadable | AsyncIterable[bytes] | Callable[[int], Awaitable[bytes]]


def _reader_for(source: _Source | Any, chunk_size: int) -> Callable[[int], Awaitable[bytes]]:
    """Normalise a source into ``async read(size) -> bytes`` (``b''`` at end of stream)."""
    read = getattr(source, 'read', None)
    if read is not None:
        return read  # type: ignore[no-any-return,unused-ignore]
    if hasattr(source, '__aiter__'):
        iterator: AsyncIterator[bytes] = source.__aiter__()
        pending = bytearray()

        async def read_from_iterator(size: int) -> bytes:
            # Servers choose their own chunk sizes; re-slice so a caller never gets more than
            # it asked for (keeps the reader's one-chunk buffering promise).
            while not pending:
                try:
                    chunk = await iterator.__anext__()
                except StopAsyncIteration:
                    return b''
                if chunk:
                    pending.extend(chunk)
            data = bytes(pending[:size])
            del pending[:size]
            return data

        return read_from_iterator
    if callable(source):
        return source
    raise TypeError(
        'BufferedReader needs an async read(size) method, an async iterable of bytes, or an '
        f'async callable; got {type(source).__name__}.'
    )


class BufferedReader:
    """Async buffered reader.

    Args:
        source: An object with ``async read(size)`` (e.g. the ASGI ``BoundedStream``), an async
            iterable of byte chunks, or an ``async (size) -> bytes`` callable.
        chunk_size: Bytes requested from the source per read (default 64 KiB).
        max_stream_len: Optional cap on the total bytes taken from the source.
    """

    def __init__(
        self,
        source: _Source | Any,
        chunk_size: int | None = None,
        max_stream_len: int | None = None,
    ) -> None:
        self._chunk_size = chunk_size or DEFAULT_CHUNK_SIZE
        self._source = _reader_for(source, self._chunk_size)
        self._buffer = ReceiveBuffer(max_stream_len)
        self._iterating = False

    # -- the driver --------------------------------------------------------------------------

    async def _fill(self) -> bool:
        """Feed one chunk from the source to the buffer; False once the source is done."""
        buffer = self._buffer
        size = buffer.ask(self._chunk_size)
        if not size:
            return False
        return buffer.feed(await self._source(size), size)

    async def _drive(self, query: Callable[[ReceiveBuffer], _T | None]) -> _T:
        """Ask ``query`` of the buffer, feeding it until it has an answer."""
        buffer = self._buffer
        while (answer := query(buffer)) is None:
            if not await self._fill():
                buffer.close()
        return answer

    def _detach(self) -> None:
        """Drop the buffer and the source: later reads return ``b''``."""
        self._buffer.detach()

    # -- public API --------------------------------------------------------------------------

    @property
    def eof(self) -> bool:
        """True when the buffer is empty and the source is known to be exhausted."""
        buffer = self._buffer
        return not buffer and buffer.closed

    def tell(self) -> int:
        """Number of bytes consumed from this reader so far."""
        return self._buffer.consumed

    async def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes when ``size`` is None or negative)."""
        buffer = self._buffer
        if size is None:
            size = -1
        elif size > 0 and not buffer:
            # PERF: with nothing buffered, a source that delivers the whole request (the usual
            # case for part streams reading 64 KiB at a time) is handed through untouched,
            # saving two copies of every byte.
            asked = buffer.ask(min(size, self._chunk_size))
            if asked:
                chunk = buffer.pass_through(await self._source(asked), asked, size)
                if chunk is not None:
                    return chunk
        while (data := buffer.read(size)) is None:
            if not await self._fill():
                buffer.close()
        return data

    async def readall(self) -> bytes:
        """Read all remaining bytes."""
        return await self.read(-1)

    async def peek(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (default: one chunk) without consuming them."""
        if size < 0:
            size = self._chunk_size
        buffer = self._buffer
        while (data := buffer.peek(size)) is None:
            if not await self._fill():
                buffer.close()
        return data

    async def read_until(
        self, delimiter: bytes, size: int | None = -1, consume_delimiter: bool = False
    ) -> bytes:
        """Read up to (not including) ``delimiter``, or to the end of the stream.

        ``size`` (None or negative: no limit) caps the bytes returned.

        Raises:
            DelimiterError: ``consume_delimiter`` is set and the delimiter does not follow the
                returned data.
        """
        if not delimiter:
            raise ValueError('read_until() needs a non-empty delimiter.')
        if size is None:
            size = -1
        buffer = self._buffer
        while (data := buffer.read_until(delimiter, size, consume_delimiter)) is None:
            if not await self._fill():
                buffer.close()
        return data

    async def pipe(self, destination: Any = None) -> None:
        """Move every remaining byte to ``destination.write`` (awaited if it is a coroutine)."""
        while data := await self._drive(ReceiveBuffer.read_some):
            if destination is not None:
                result = destination.write(data)
                if inspect.isawaitable(result):
                    await result

    async def pipe_until(
        self, delimiter: bytes, destination: Any = None, consume_delimiter: bool = False
    ) -> None:
        """Like :meth:`pipe`, but stop at ``delimiter`` (chunk by chunk, flat memory).

        Raises:
            DelimiterError: ``consume_delimiter`` is set and the stream ended first.
        """
        chunk_size = self._chunk_size
        while data := await self.read_until(delimiter, chunk_size):
            if destination is not None:
                result = destination.write(data)
                if inspect.isawaitable(result):
                    await result
        if consume_delimiter:
            # Nothing precedes the delimiter now: reading 0 bytes takes it, or raises.
            await self.read_until(delimiter, 0, consume_delimiter=True)

    async def exhaust(self) -> None:
        """Discard the rest of the stream."""
        await self.pipe()

    def delimit(self, delimiter: bytes) -> BufferedReader:
        """Return a reader that ends where ``delimiter`` starts (the delimiter stays here)."""
        if not delimiter:
            raise ValueError('delimit() needs a non-empty delimiter.')

        async def read(size: int) -> bytes:
            return await self.read_until(delimiter, size)

        return BufferedReader(read, self._chunk_size)

    def __aiter__(self) -> AsyncIterator[bytes]:
        if self._iterating:
            raise OperationNotAllowed('This stream is already being iterated.')
        self._iterating = True
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[bytes]:
        while data := await self._drive(ReceiveBuffer.read_some):
            yield data

    def fileno(self) -> int:
        """Always raises ``OSError``: the stream is not backed by a file descriptor."""
        raise OSError('This stream has no file descriptor.')

    def isatty(self) -> bool:
        """Always False."""
        return False

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always False."""
        return False

    def writable(self) -> bool:
        """Always False."""
        return False

    writeable = writable
