"""The receive buffer behind both stream readers: fed bytes, it answers "need more data" (None)
or "here is what you asked for". It does no I/O; ``lanner.util.reader`` (sync) and
``lanner.asgi.reader`` (async) are thin drivers that only say how bytes arrive.

The driver protocol (every query below follows it)::

    while (answer := buffer.some_query(...)) is None:   # None: need more data
        size = buffer.ask(chunk_size)                    # 0 once the source is done
        buffer.feed(read(size) if size else b'', size)   # b'' closes the buffer

Invariants:

* Every query is answered (never None) once the buffer is closed, so a driver always ends.
  A query that answers None has changed nothing but its search position (see below), so it can
  be asked again after more bytes arrive, and the answer depends only on the bytes fed and on
  where the source ended, never on how they were cut into chunks.
* The source is asked for at most ``ask(size)`` bytes: never more than one chunk, and never
  past ``max_len`` in total. A longer chunk than asked for is cut; ``b''`` means end of stream.
* Data leaves from the front only. Deleting a ``bytearray`` prefix is O(1), so consuming is
  cheap; ``consumed`` counts every byte handed out (``tell()``).
* Delimiter searches never rescan: the buffer remembers, for the delimiter it last searched,
  the position before which no delimiter starts (reset whenever bytes are taken). Scanning
  ``n`` bytes costs O(n) overall however they arrive.
* Only ``read(-1)`` and ``read_until(..., size=-1)`` make a driver buffer without bound (the
  caller asked for everything); ``read_some`` and ``discard_until`` keep at most about one
  chunk plus one delimiter, and a sized ``read_until`` at most ``size + len(delimiter)``.
"""

from __future__ import annotations

from lanner.errors import DelimiterError

__all__ = ['ReceiveBuffer']

_MISSING_DELIMITER = 'Expected delimiter not found in the stream.'


class ReceiveBuffer:
    """Bytes received from a source and not yet handed out.

    Args:
        max_len: Total number of bytes to accept from the source (None: until it ends).
    """

    __slots__ = ('_data', '_remaining', '_scan_delimiter', '_scan_from', 'closed', 'consumed')

    def __init__(self, max_len: int | None = None) -> None:
        self._data = bytearray()
        self._remaining = max_len
        self._scan_delimiter = b''
        self._scan_from = 0
        #: True once the source has nothing more to give (ended, or ``max_len`` reached).
        self.closed = max_len is not None and max_len <= 0
        #: Number of bytes handed out so far.
        self.consumed = 0

    def __len__(self) -> int:
        return len(self._data)

    # -- feeding ------------------------------------------------------------------------------

    def ask(self, size: int) -> int:
        """How many bytes to request from the source (``size`` capped by ``max_len``); 0 once
        the buffer is closed."""
        if self.closed:
            return 0
        remaining = self._remaining
        if remaining is not None and remaining < size:
            return remaining
        return size

    def _accept(self, chunk: bytes, asked: int) -> bytes:
        if not chunk:
            self.closed = True
            return b''
        if len(chunk) > asked:
            # A misbehaving source must not push us past max_len (or past one chunk).
            chunk = chunk[:asked]
        remaining = self._remaining
        if remaining is not None:
            remaining -= len(chunk)
            self._remaining = remaining
            if remaining <= 0:
                self.closed = True
        return chunk

    def feed(self, chunk: bytes, asked: int) -> bool:
        """Append what the source returned for a request of ``asked`` bytes (``b''``: it ended).

        Returns False when nothing was appended (the buffer is then closed).
        """
        chunk = self._accept(chunk, asked)
        if not chunk:
            return False
        self._data += chunk
        return True

    def pass_through(self, chunk: bytes, asked: int, size: int) -> bytes | None:
        """Hand back ``chunk`` untouched if it is exactly ``size`` bytes, else append it.

        For a driver that read straight from the source while the buffer was empty: a source
        that delivers whole requests then costs no copy. None means the chunk was buffered.
        """
        chunk = self._accept(chunk, asked)
        if len(chunk) == size:
            self.consumed += size
            return chunk
        self._data += chunk
        return None

    def close(self) -> None:
        """Mark the source ended: every later query is answered from what is buffered."""
        self.closed = True

    def detach(self) -> None:
        """Drop the buffered bytes and close: later reads return ``b''``."""
        self.closed = True
        self._data.clear()
        self._scan_from = 0

    # -- queries (None: need more data) --------------------------------------------------------

    def take(self, size: int) -> bytes:
        """Hand out (at most) the first ``size`` buffered bytes; never needs more data."""
        buffer = self._data
        self._scan_from = 0
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
        self.consumed += len(data)
        return data

    def read(self, size: int) -> bytes | None:
        """``size`` bytes (fewer at the end of the stream); everything left if negative."""
        if self.closed:
            return self.take(len(self._data) if size < 0 else size)
        if size < 0 or len(self._data) < size:
            return None
        return self.take(size)

    def read_some(self) -> bytes | None:
        """Everything buffered, as long as that is something; ``b''`` at the end of the stream."""
        if self._data:
            return self.take(len(self._data))
        return b'' if self.closed else None

    def peek(self, size: int) -> bytes | None:
        """The first ``size`` bytes (fewer at the end of the stream), left in the buffer."""
        data = self._data
        if len(data) < size and not self.closed:
            return None
        return bytes(data[:size])

    def find(self, delimiter: bytes, limit: int = -1) -> int | None:
        """Index of ``delimiter`` in the buffer; -1 when it is known not to start within the
        first ``limit`` bytes (``limit < 0``: anywhere before the end of the stream)."""
        data = self._data
        if delimiter != self._scan_delimiter:
            self._scan_delimiter = delimiter
            self._scan_from = 0
        index = data.find(delimiter, self._scan_from)
        if index >= 0:
            return index
        overlap = len(delimiter) - 1
        # A delimiter starting before `limit` would lie within limit + overlap bytes.
        if self.closed or 0 <= limit <= len(data) - overlap:
            return -1
        self._scan_from = max(0, len(data) - overlap)
        return None

    def read_until(
        self, delimiter: bytes, size: int = -1, consume_delimiter: bool = False
    ) -> bytes | None:
        """The bytes before ``delimiter`` (at most ``size`` of them when ``size >= 0``), or up
        to the end of the stream when it never comes.

        With ``consume_delimiter`` the delimiter is taken too; if it does not follow the
        returned bytes, those bytes are taken all the same and ``DelimiterError`` is raised.
        """
        index = self.find(delimiter, size)
        if index is None:
            return None
        data = self._data
        if 0 <= index and (size < 0 or index <= size):
            result = self.take(index)
        else:
            end = len(data) if size < 0 else min(size, len(data))
            if consume_delimiter and len(data) < end + len(delimiter) and not self.closed:
                return None  # whether the delimiter follows is not known yet
            result = self.take(end)
            if consume_delimiter and not data.startswith(delimiter):
                raise DelimiterError(_MISSING_DELIMITER)
        if consume_delimiter:
            self.take(len(delimiter))
        return result

    def read_line(self, size: int = -1) -> bytes | None:
        """One line including its ``\\n`` (at most ``size`` bytes when ``size >= 0``)."""
        index = self.find(b'\n', size)
        if index is None:
            return None
        if 0 <= index and (size < 0 or index < size):
            return self.take(index + 1)
        available = len(self._data)
        return self.take(available if size < 0 else min(size, available))

    def discard_until(self, delimiter: bytes) -> bool | None:
        """Drop everything up to and including ``delimiter``, keeping at most
        ``len(delimiter) - 1`` bytes while it has not arrived; True once it was dropped.

        Raises:
            DelimiterError: The stream ended before the delimiter.
        """
        index = self.find(delimiter)
        if index is None:
            self.take(max(0, len(self._data) - len(delimiter) + 1))
            return None
        if index < 0:
            self.take(len(self._data))
            raise DelimiterError(_MISSING_DELIMITER)
        self.take(index + len(delimiter))
        return True
