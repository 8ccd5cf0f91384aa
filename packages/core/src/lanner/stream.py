"""``BoundedStream``: the WSGI input stream, cut off at Content-Length (or at its end).

Two modes. With a Content-Length (``stream_len`` an int) the stream stops after that many bytes.
Without one, a server that decodes the framing itself (chunked bodies) and promises an input
that ends with the body (``wsgi.input_terminated``, as gunicorn does) gets ``stream_len=None``:
the stream is read until the input reports its end. The App refuses a chunked request on a
server that makes no such promise (411), so a body is never presented as empty.

Invariants:

* The wrapped stream is never asked for more than the bytes still owed by Content-Length, so a
  read can never block waiting for data the client will not send (PEP 3333 allows servers to hand
  over the raw socket).
* ``_remaining`` only decreases; ``eof`` is ``_remaining == 0``. In the terminated mode
  ``_remaining`` starts at ``_UNKNOWN`` and drops to 0 at the first empty read.
* The terminated mode never asks the wrapped stream for more than ``_BLOCK`` bytes at once (a
  server's ``read(n)`` may allocate ``n`` bytes up front), and a failure of the server's input
  (a malformed chunk size, a connection cut mid-body) is a 400, never a 500.
* With a limit set (``_limit``, used by ``get_media``) at most ``limit`` bytes are ever returned;
  reading past it raises 413, and an unknown-length body is then no longer read at all (not even
  by ``exhaust()``: a client could send it forever).
* A body that ends before Content-Length bytes arrived (the client closed its side early) is
  never passed off as complete: the read that meets the early end of input raises a 400
  (:class:`~lanner.HTTPBadRequest`), and so does every read after it. Only ``exhaust()``, which
  discards the body anyway, stops quietly.
"""

from __future__ import annotations

from collections.abc import Iterator
import io
import sys
from typing import IO, Any, NoReturn

from lanner.errors import HTTPBadRequest, HTTPContentTooLarge, HTTPError
from lanner.util.deprecation import deprecated

__all__ = ('Body', 'BoundedStream')

# What is left of a body whose length the client did not announce (read to the input's end).
_UNKNOWN = sys.maxsize
# The largest read asked of the server's input when the length is unknown.
_BLOCK = 64 * 1024


class BoundedStream(io.IOBase):
    """Wrap a WSGI input stream so that reads stop after ``stream_len`` bytes.

    Args:
        stream: The stream to wrap (normally ``env['wsgi.input']``).
        stream_len: How many bytes may be read in total (the request's Content-Length), or
            None (lanner addition) to read until the input ends: only for a server that
            promises ``wsgi.input_terminated``.
    """

    def __init__(self, stream: IO[bytes] | Any, stream_len: int | None) -> None:
        super().__init__()
        self.stream = stream
        self.stream_len = stream_len
        self._remaining = _UNKNOWN if stream_len is None else stream_len
        self._received = 0
        self._max_size: int | None = None

    def __repr__(self) -> str:
        if self.stream_len is None:
            return f'<{type(self).__name__}: {self._received} bytes read, length unknown>'
        return f'<{type(self).__name__}: {self._remaining} of {self.stream_len} bytes left>'

    def _clamp(self, size: int | None) -> int:
        remaining = self._remaining
        if size is None or size < 0 or size > remaining:
            return remaining
        return size

    def _limit(self, max_size: int | None) -> None:
        """Cap the bytes this stream hands out (``HTTPContentTooLarge`` beyond; for get_media)."""
        self._max_size = max_size
        if max_size is not None and self._received > max_size:
            self._too_large()

    def _too_large(self) -> NoReturn:
        if self.stream_len is None:
            self._remaining = 0  # never read on: a client can send an unannounced body forever
        raise HTTPContentTooLarge(
            description=f'The request body exceeds the limit of {self._max_size} bytes.'
        )

    def _read_input(self, size: int, line: bool = False) -> bytes:
        """One read (or ``readline``) of the server's input: at most ``size`` bytes, ``b''`` at
        its end."""
        if self.stream_len is not None:
            data: bytes = self.stream.read(size)
        else:
            try:
                if line:
                    data = self.stream.readline(min(size, _BLOCK))
                else:
                    data = self.stream.read(min(size, _BLOCK))
            except HTTPError:
                raise
            except Exception as ex:
                # The server decodes the chunked framing while we read: a malformed chunk or a
                # connection lost mid-body surfaces here, as whatever the server raises.
                self._remaining = 0
                raise HTTPBadRequest(
                    title='Unreadable request body',
                    description=(
                        f'The request body could not be read after {self._received} bytes '
                        f'({type(ex).__name__}); check its chunked encoding.'
                    ),
                ) from ex
            if not data:
                self._remaining = 0  # the end of an unannounced body
                return data
        received = self._received + len(data)
        limit = self._max_size
        if limit is not None and received > limit:
            self._received = received
            self._too_large()
        self._received = received
        return data

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
        received = (self.stream_len or 0) - self._remaining  # only reached with a length
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
        data = self._read_input(size)
        if not data:
            if self.stream_len is None:
                return data
            self._ended_early()
        self._remaining -= len(data)
        if everything and self._remaining:
            # A raw socket may return less than asked for; "everything" means the whole body.
            chunks = [data]
            while self._remaining:
                data = self._read_input(self._remaining)
                if not data:
                    if self.stream_len is None:
                        break
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
        if self.stream_len is None:
            return self._read_input(size, line=True)
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
        if self.stream_len is None:
            try:
                while self._remaining > 0:
                    self._read_input(chunk_size)
            except HTTPError:
                self._remaining = 0  # unreadable or over the limit: discarded all the same
            return
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

    @property
    @deprecated('Use `eof` instead.', is_property=True)
    def is_exhausted(self) -> bool:
        """Deprecated alias of :attr:`eof` (as in Falcon, it warns)."""
        return self._remaining <= 0


# Falcon keeps this alias for backwards compatibility.
Body = BoundedStream
