"""``BoundedStream``: the WSGI input stream, cut off at Content-Length.

Invariants:

* The wrapped stream is never asked for more than the bytes still owed by Content-Length, so a
  read can never block waiting for data the client will not send (PEP 3333 allows servers to hand
  over the raw socket).
* ``_remaining`` only decreases; ``eof`` is ``_remaining == 0``.
* A body that ends before Content-Length bytes arrived (the client closed its side early) is
  never passed off as complete: the read that meets the early end of input raises a 400
  (:class:`~lanner.HTTPBadRequest`), and so does every read after it. Only ``exhaust()``, which
  discards the body anyway, stops quietly.
"""

from __future__ import annotations

from collections.abc import Iterator
import io
from typing import IO, Any, NoReturn

from lanner.errors import HTTPBadRequest

__all__ = ('Body', 'BoundedStream')


class BoundedStream(io.IOBase):
    """Wrap a WSGI input stream so that reads stop after ``stream_len`` bytes.

    Args:
        stream: The stream to wrap (normally ``env['wsgi.input']``).
        stream_len: How many bytes may be read in total (the request's Content-Length).
    """

    def __init__(self, stream: IO[bytes] | Any, stream_len: int) -> None:
        super().__init__()
        self.stream = stream
        self.stream_len = stream_len
        self._remaining = stream_len

    def __repr__(self) -> str:
        return f'<{type(self).__name__}: {self._remaining} of {self.stream_len} bytes left>'

    def _clamp(self, size: int | None) -> int:
        remaining = self._remaining
        if size is None or size < 0 or size > remaining:
            return remaining
        return size

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always False."""
        return False

    def writable(self) -> bool:
        """Always False."""
        return False

    def write(self, data: Any) -> int:
        """Always raises ``OSError``: request bodies are read-only."""
        raise OSError('The request body stream is read-only; it cannot be written to.')

    def _ended_early(self) -> NoReturn:
        received = self.stream_len - self._remaining
        raise HTTPBadRequest(
            title='Incomplete request body',
            description=(
                f'The request body ended after {received} of the {self.stream_len} bytes '
                'announced by Content-Length. Send the whole body, or a Content-Length that '
                'matches it.'
            ),
        )

    def read(self, size: int | None = None) -> bytes:
        """Read up to ``size`` bytes (everything left when omitted, None or negative).

        Raises:
            HTTPBadRequest: The input ended before Content-Length bytes were read (400).
        """
        everything = size is None or size < 0
        size = self._clamp(size)
        if size == 0:
            return b''
        data: bytes = self.stream.read(size)
        if not data:
            self._ended_early()
        self._remaining -= len(data)
        if everything and self._remaining:
            # A raw socket may return less than asked for; "everything" means the whole body.
            chunks = [data]
            while self._remaining:
                data = self.stream.read(self._remaining)
                if not data:
                    self._ended_early()
                self._remaining -= len(data)
                chunks.append(data)
            data = b''.join(chunks)
        return data

    def readline(self, limit: int | None = None) -> bytes:
        """Read one line, at most ``limit`` bytes (and never past Content-Length).

        Raises:
            HTTPBadRequest: The input ended before Content-Length bytes were read (400).
        """
        size = self._clamp(limit)
        if size == 0:
            return b''
        data: bytes = self.stream.readline(size)
        if not data:
            self._ended_early()
        self._remaining -= len(data)
        return data

    def readlines(self, hint: int | None = None) -> list[bytes]:
        """Read the remaining lines (stopping once ``hint`` bytes have been read, if given)."""
        lines: list[bytes] = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                break
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> Iterator[bytes]:
        # Deviation from Falcon (which iterates the raw stream, unbounded): iterating line by line
        # within Content-Length keeps the "never block past the body" invariant.
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def exhaust(self, chunk_size: int = 64 * 1024) -> None:
        """Read and discard whatever is left of the body (a body cut short is not an error)."""
        read = self.stream.read
        while self._remaining > 0:
            data = read(min(chunk_size, self._remaining))
            if not data:
                self._remaining = 0  # nothing more will come; the body is being discarded
                return
            self._remaining -= len(data)

    @property
    def eof(self) -> bool:
        """True once every byte of the body has been read."""
        return self._remaining <= 0

    is_exhausted = eof


# Falcon keeps this alias for backwards compatibility.
Body = BoundedStream
