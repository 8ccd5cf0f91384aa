"""A buffered, delimiter-aware reader over a byte source (the basis of multipart parsing).

It is a thin driver: every rule about the bytes (limits, delimiter search, what a read returns)
lives in :class:`lanner._wire.receive_buffer.ReceiveBuffer`, whose invariants are written at the
top of that module; this class only calls ``read(size)`` when the buffer needs more data. The
async twin, ``lanner.asgi.reader``, drives the same buffer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Protocol, TypeVar

from lanner._wire.receive_buffer import ReceiveBuffer

__all__ = ['DEFAULT_CHUNK_SIZE', 'BufferedReader']

#: Default number of bytes requested from the source per read.
DEFAULT_CHUNK_SIZE = 64 * 1024

_T = TypeVar('_T')


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
        self._source = read
        self._chunk_size = chunk_size or DEFAULT_CHUNK_SIZE
        self._buffer = ReceiveBuffer(max_stream_len)

    # -- the driver --------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Feed one chunk from the source to the buffer; False once the source is done."""
        buffer = self._buffer
        size = buffer.ask(self._chunk_size)
        if not size:
            return False
        return buffer.feed(self._source(size), size)

    def _drive(self, query: Callable[[ReceiveBuffer], _T | None]) -> _T:
        """Ask ``query`` of the buffer, feeding it until it has an answer."""
        buffer = self._buffer
        while (answer := query(buffer)) is None:
            if not self._fill():
                buffer.close()
        return answer

    def _detach(self) -> None:
        """Drop the buffer and the source: later reads return ``b''``."""
        self._buffer.detach()

    # -- public API --------------------------------------------------------------------------

    @property
    def eof(self) -> bool:
        """True when no more data can be read (may read one chunk to find out)."""
        return not self._buffer and not self._fill()

    def tell(self) -> int:
        """Number of bytes consumed from this reader so far."""
        return self._buffer.consumed

    def read(self, size: int | None = -1) -> bytes:
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
                chunk = buffer.pass_through(self._source(asked), asked, size)
                if chunk is not None:
                    return chunk
        while (data := buffer.read(size)) is None:
            if not self._fill():
                buffer.close()
        return data

    def peek(self, size: int = -1) -> bytes:
        """Return up to ``size`` bytes (default: one chunk) without consuming them."""
        if size < 0:
            size = self._chunk_size
        buffer = self._buffer
        while (data := buffer.peek(size)) is None:
            if not self._fill():
                buffer.close()
        return data

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
        buffer = self._buffer
        while (data := buffer.read_until(delimiter, size, consume_delimiter)) is None:
            if not self._fill():
                buffer.close()
        return data

    def readline(self, size: int = -1) -> bytes:
        """Read one line including its ``\\n`` (at most ``size`` bytes when ``size >= 0``)."""
        buffer = self._buffer
        while (data := buffer.read_line(size)) is None:
            if not self._fill():
                buffer.close()
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
        while data := self._drive(ReceiveBuffer.read_some):
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
            # Nothing precedes the delimiter now: reading 0 bytes takes it, or raises.
            self.read_until(delimiter, 0, consume_delimiter=True)

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
