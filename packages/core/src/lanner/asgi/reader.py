"""Async twin of :class:`lanner.util.reader.BufferedReader` (the basis of ASGI multipart).

It keeps the invariants written at the top of ``lanner/util/reader.py``: the source is asked for
at most one chunk at a time, data leaves the buffer from the front (O(1) with ``bytearray``),
streaming methods keep about one chunk plus one delimiter buffered, and delimiter searches never
rescan bytes. This module must not import asyncio (it only awaits what it is given).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
import inspect
from typing import Any, Protocol

from lanner.errors import DelimiterError, OperationNotAllowed
from lanner.util.reader import DEFAULT_CHUNK_SIZE

__all__ = ['BufferedReader']


class _AsyncReadable(Protocol):
    async def read(self, size: int | None = ..., /) -> bytes: ...


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
        self._source: Callable[[int], Awaitable[bytes]] | None = _reader_for(
            source, self._chunk_size
        )
        self._remaining = max_stream_len
        self._buffer = bytearray()
        self._consumed = 0
        self._iterating = False
        if max_stream_len is not None and max_stream_len <= 0:
            self._source = None

    # -- buffer management -------------------------------------------------------------------

    async def _pull(self, size: int) -> bytes:
        """Take up to ``size`` bytes (capped by ``max_stream_len``) from the source."""
        source = self._source
        if source is None:
            return b''
        remaining = self._remaining
        if remaining is not None and remaining < size:
            size = remaining
        chunk = await source(size)
        if not chunk:
            self._source = None
            return b''
        if len(chunk) > size:
            # A misbehaving source must not push us past max_stream_len (or a huge chunk).
            chunk = chunk[:size]
        if remaining is not None:
            remaining -= len(chunk)
            self._remaining = remaining
            if remaining <= 0:
                self._source = None
        return chunk

    async def _fill(self) -> bool:
        """Append one chunk from the source to the buffer; False once the source is done."""
        chunk = await self._pull(self._chunk_size)
        if not chunk:
            return False
        self._buffer += chunk
        return True

    def _take(self, size: int) -> bytes:
        buffer = self._buffer
        if size >= len(buffer):
            data = bytes(buffer)
            buffer.clear()
        else:
            # PERF: copying through a memoryview copies once (a bytearray slice would copy
            # twice); the views are released before the buffer is resized.
            view = memoryview(buffer)
            head = view[:size]
            data = bytes(head)
            head.release()
            view.release()
            # PERF: deleting a bytearray prefix only moves its start pointer (O(1)).
            del buffer[:size]
        self._consumed += len(data)
        return data

    async def _find(self, delimiter: bytes, limit: int) -> int:
        buffer = self._buffer
        overlap = len(delimiter) - 1
        start = 0
        while True:
            index = buffer.find(delimiter, start)
            if index >= 0:
                return index
            if limit >= 0 and len(buffer) >= limit + overlap:
                return -1
            start = max(0, len(buffer) - overlap)
            if not await self._fill():
                return -1

    async def _starts_with(self, prefix: bytes) -> bool:
        while len(self._buffer) < len(prefix):
            if not await self._fill():
                return False
        return self._buffer.startswith(prefix)

    def _detach(self) -> None:
        """Drop the buffer and the source: later reads return ``b''``."""
        self._source = None
        self._buffer.clear()

    # -- public API --------------------------------------------------------------------------

    @property
    def eof(self) -> bool:
        """True when the buffer is empty and the source is known to be exhausted."""
        return not self._buffer and self._source is None

    def tell(self) -> int:
        """Number of bytes consumed from this reader so far."""
        return self._consumed

    async def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes when ``size`` is None or negative)."""
        if size is None or size < 0:
            while await self._fill():
                pass
            return self._take(len(self._buffer))
        if not self._buffer and size > 0:
            # PERF: with nothing buffered, a source that delivers the whole request (the usual
            # case for part streams reading 64 KiB at a time) is handed through untouched,
            # saving two copies of every byte.
            chunk = await self._pull(min(size, self._chunk_size))
            if len(chunk) == size:
                self._consumed += size
                return chunk
            self._buffer += chunk
        while len(self._buffer) < size and await self._fill():
            pass
        return self._take(size)

    async def readall(self) -> bytes:
        """Read all remaining bytes."""
        return await self.read(-1)

    async def peek(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (default: one chunk) without consuming them."""
        if size < 0:
            size = self._chunk_size
        while len(self._buffer) < size and await self._fill():
            pass
        return bytes(self._buffer[:size])

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
        index = await self._find(delimiter, size)
        if index < 0 or (0 <= size < index):
            available = len(self._buffer)
            data = self._take(available if size < 0 else min(size, available))
            if consume_delimiter:
                if not await self._starts_with(delimiter):
                    raise DelimiterError('Expected delimiter not found in the stream.')
                self._take(len(delimiter))
            return data
        data = self._take(index)
        if consume_delimiter:
            self._take(len(delimiter))
        return data

    async def pipe(self, destination: Any = None) -> None:
        """Move every remaining byte to ``destination.write`` (awaited if it is a coroutine)."""
        while self._buffer or await self._fill():
            data = self._take(len(self._buffer))
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
            if not await self._starts_with(delimiter):
                raise DelimiterError('Expected delimiter not found in the stream.')
            self._take(len(delimiter))

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
        while self._buffer or await self._fill():
            yield self._take(len(self._buffer))

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
