"""A buffered, delimiter-aware reader over a byte source (the basis of multipart parsing).

Invariants (the async twin in ``lanner.asgi.reader`` keeps the same ones):

* The source is only ever asked for at most ``chunk_size`` bytes at a time and never for more
  than ``max_stream_len`` bytes in total; a source returning ``b''`` means end of stream.
* Data leaves the buffer from the front only. ``bytearray`` deletes a prefix in O(1), so
  consuming is cheap, and every method that streams (``pipe*``, ``exhaust``, a delimited
  child) keeps at most about one chunk plus one delimiter buffered. Only ``read(-1)`` and
  ``read_until(..., size=-1)`` buffer without bound, because the caller asked for everything.
* Delimiter searches never rescan bytes: after a miss, the next ``find`` starts
  ``len(delimiter) - 1`` bytes before the end of what was already searched, so scanning a body
  of ``n`` bytes costs O(n) overall.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Protocol

from lanner.errors import DelimiterError

__all__ = ['DEFAULT_CHUNK_SIZE', 'BufferedReader']

#: Default number of bytes requested from the source per read.
DEFAULT_CHUNK_SIZE = 64 * 1024


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


class BufferedReader:
    """Buffered reader over a ``read(size) -> bytes`` callable.

    Args:
        read: Function returning up to ``size`` bytes, ``b''`` at end of stream.
        max_stream_len: Total number of bytes to take from ``read``; ``None`` reads until it
            returns ``b''``.
        chunk_size: Bytes requested per call to ``read`` (default 64 KiB).
    """

    def __init__(
        self,
        read: Callable[[int], bytes],
        max_stream_len: int | None = None,
        chunk_size: int | None = None,
    ) -> None:
        self._source: Callable[[int], bytes] | None = read
        self._remaining = max_stream_len
        self._chunk_size = chunk_size or DEFAULT_CHUNK_SIZE
        self._buffer = bytearray()
        self._consumed = 0
        if max_stream_len is not None and max_stream_len <= 0:
            self._source = None

    # -- buffer management -------------------------------------------------------------------

    def _pull(self, size: int) -> bytes:
        """Take up to ``size`` bytes (capped by ``max_stream_len``) from the source."""
        source = self._source
        if source is None:
            return b''
        remaining = self._remaining
        if remaining is not None and remaining < size:
            size = remaining
        chunk = source(size)
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

    def _fill(self) -> bool:
        """Append one chunk from the source to the buffer; False once the source is done."""
        chunk = self._pull(self._chunk_size)
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

    def _find(self, delimiter: bytes, limit: int) -> int:
        """Index of ``delimiter`` in the buffer, filling as needed; -1 if not there.

        With ``limit >= 0`` the search stops once the buffer is long enough to prove that the
        first ``limit`` bytes contain no delimiter start, so at most ``limit + len(delimiter)``
        bytes get buffered.
        """
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
            if not self._fill():
                return -1

    def _starts_with(self, prefix: bytes) -> bool:
        while len(self._buffer) < len(prefix):
            if not self._fill():
                return False
        return self._buffer.startswith(prefix)

    def _detach(self) -> None:
        """Drop the buffer and the source: later reads return ``b''``."""
        self._source = None
        self._buffer.clear()

    # -- public API --------------------------------------------------------------------------

    @property
    def eof(self) -> bool:
        """True when no more data can be read (may read one chunk to find out)."""
        return not self._buffer and not self._fill()

    def tell(self) -> int:
        """Number of bytes consumed from this reader so far."""
        return self._consumed

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all remaining bytes when ``size`` is None or negative)."""
        if size is None or size < 0:
            while self._fill():
                pass
            return self._take(len(self._buffer))
        if not self._buffer and size > 0:
            # PERF: with nothing buffered, a source that delivers the whole request (the usual
            # case for part streams reading 64 KiB at a time) is handed through untouched,
            # saving two copies of every byte.
            chunk = self._pull(min(size, self._chunk_size))
            if len(chunk) == size:
                self._consumed += size
                return chunk
            self._buffer += chunk
        while len(self._buffer) < size and self._fill():
            pass
        return self._take(size)

    def peek(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (default: one chunk) without consuming them."""
        if size < 0:
            size = self._chunk_size
        while len(self._buffer) < size and self._fill():
            pass
        return bytes(self._buffer[:size])

    def read_until(
        self, delimiter: bytes, size: int = -1, consume_delimiter: bool = False
    ) -> bytes:
        """Read up to (not including) ``delimiter``, or to the end of the stream.

        Args:
            delimiter: Non-empty byte string to stop at.
            size: Maximum number of bytes to return (negative: no limit).
            consume_delimiter: Also consume the delimiter that follows the returned data.

        Raises:
            DelimiterError: ``consume_delimiter`` is set and the delimiter does not follow the
                returned data (end of stream reached, or ``size`` reached first).
        """
        if not delimiter:
            raise ValueError('read_until() needs a non-empty delimiter.')
        index = self._find(delimiter, size)
        if index < 0 or (0 <= size < index):
            available = len(self._buffer)
            data = self._take(available if size < 0 else min(size, available))
            if consume_delimiter:
                if not self._starts_with(delimiter):
                    raise DelimiterError('Expected delimiter not found in the stream.')
                self._take(len(delimiter))
            return data
        data = self._take(index)
        if consume_delimiter:
            self._take(len(delimiter))
        return data

    def readline(self, size: int = -1) -> bytes:
        """Read one line including its ``\\n`` (at most ``size`` bytes when ``size >= 0``)."""
        if size == 0:
            return b''
        data = self.read_until(b'\n', size)
        if (size < 0 or len(data) < size) and self._starts_with(b'\n'):
            data += self._take(1)
        return data

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Read lines until end of stream, or until ``hint`` bytes have been read (if > 0)."""
        lines: list[bytes] = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def pipe(self, destination: _Writable | IO[bytes] | None = None) -> None:
        """Move every remaining byte to ``destination.write`` (or discard it if None)."""
        while self._buffer or self._fill():
            data = self._take(len(self._buffer))
            if destination is not None:
                destination.write(data)

    def pipe_until(
        self,
        delimiter: bytes,
        destination: _Writable | IO[bytes] | None = None,
        consume_delimiter: bool = False,
    ) -> None:
        """Like :meth:`pipe`, but stop at ``delimiter`` (chunk by chunk, flat memory).

        Raises:
            DelimiterError: ``consume_delimiter`` is set and the stream ended first.
        """
        chunk_size = self._chunk_size
        while data := self.read_until(delimiter, chunk_size):
            if destination is not None:
                destination.write(data)
        if consume_delimiter:
            if not self._starts_with(delimiter):
                raise DelimiterError('Expected delimiter not found in the stream.')
            self._take(len(delimiter))

    def exhaust(self) -> None:
        """Discard the rest of the stream."""
        self.pipe()

    def delimit(self, delimiter: bytes) -> BufferedReader:
        """Return a reader that ends where ``delimiter`` starts (the delimiter stays here)."""
        if not delimiter:
            raise ValueError('delimit() needs a non-empty delimiter.')

        def read(size: int) -> bytes:
            return self.read_until(delimiter, size)

        return BufferedReader(read, None, self._chunk_size)

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always False."""
        return False

    def writable(self) -> bool:
        """Always False."""
        return False

    # Falcon spells it this way; both are offered.
    writeable = writable

    # Falcon's pure-Python reader has this name for its read; code probing for it finds it.
    _read = read
