"""``BoundedStream``: the ASGI request body as an async file-like object.

Invariants:

* Data is pulled from ``receive`` only when a caller asks for more than is buffered, so a handler
  that reads a few bytes never makes the server buffer the whole body.
* With a Content-Length the stream yields at most that many bytes (extra data from a misbehaving
  client is dropped); without one it ends at the first event whose ``more_body`` is false.
* An ``http.disconnect`` event ends the stream (EOF); it is never an error here.
* ``_max_size`` (set by ``Request.get_media``) bounds how much this stream will accept in total:
  going past it raises ``HTTPContentTooLarge`` (413) instead of buffering without limit.
* After ``close()`` every read raises ``OperationNotAllowed``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from lanner.errors import HTTPContentTooLarge, OperationNotAllowed

__all__ = ('BoundedStream',)

_Receive = Callable[[], Awaitable[Any]]


class BoundedStream:
    """The request body of an ASGI HTTP request.

    Args:
        receive: The ASGI ``receive`` callable.
        first_event: An ``http.request`` event already received by the App, served first.
        content_length: The request's Content-Length, if known.
    """

    __slots__ = (
        '_buffer',
        '_closed',
        '_iterating',
        '_max_size',
        '_more',
        '_pos',
        '_receive',
        '_received',
        '_remaining',
    )

    def __init__(
        self,
        receive: _Receive,
        first_event: dict[str, Any] | None = None,
        content_length: int | None = None,
    ) -> None:
        self._receive = receive
        self._buffer = bytearray()
        self._closed = False
        self._iterating = False
        self._max_size: int | None = None
        self._more = True
        self._pos = 0
        self._received = 0
        # Bytes the body may still contribute (None: unknown, read until more_body is false).
        self._remaining = content_length
        if content_length == 0:
            self._more = False
        if first_event is not None:
            self._buffer += self._accept_event(first_event)

    def __repr__(self) -> str:
        return f'<{type(self).__name__}: {self._pos} bytes read, eof={self.eof}>'

    # -- event intake ---------------------------------------------------------------------------

    def _accept_event(self, event: Any) -> bytes:
        """Account for one ``receive`` event; return the body bytes it contributes.

        The caller decides where the bytes go (buffer, result list or the bin), so large bodies
        are never copied into an ever-growing buffer.
        """
        if event.get('type') == 'http.disconnect':
            self._more = False
            return b''
        body: bytes = event.get('body') or b''
        if not event.get('more_body', False):
            self._more = False
        remaining = self._remaining
        if remaining is not None:
            if len(body) >= remaining:
                body = body[:remaining]
                self._more = False
            self._remaining = remaining - len(body)
        if body:
            self._received += len(body)
            limit = self._max_size
            if limit is not None and self._received > limit:
                self._more = False
                self._buffer.clear()
                raise HTTPContentTooLarge(
                    description=f'The request body exceeds the limit of {limit} bytes.'
                )
        return body

    def _limit(self, max_size: int | None) -> None:
        """Cap the total body size this stream accepts (``HTTPContentTooLarge`` beyond it).

        Bytes already received (the App's first event, earlier reads) count too.
        """
        self._max_size = max_size
        if max_size is not None and self._received > max_size:
            self._more = False
            self._buffer.clear()
            raise HTTPContentTooLarge(
                description=f'The request body exceeds the limit of {max_size} bytes.'
            )

    def _check_open(self) -> None:
        if self._closed:
            raise OperationNotAllowed(
                'This request body stream was closed; it can no longer be read.'
            )

    # -- reading --------------------------------------------------------------------------------

    async def read(self, size: int | None = None) -> bytes:
        """Read up to ``size`` bytes (all of the rest when None or -1); ``b''`` at EOF.

        Waits until ``size`` bytes are available or the body ends, so fewer bytes than asked
        for means the end of the body has been reached.
        """
        self._check_open()
        if size is None or size == -1:
            return await self.readall()
        if size <= 0:
            return b''
        buffer = self._buffer
        receive = self._receive
        while len(buffer) < size and self._more:
            # PERF: bytearray appends are amortised O(1); slicing once at the end.
            buffer += self._accept_event(await receive())
        data = bytes(buffer[:size])
        del buffer[:size]
        self._pos += len(data)
        return data

    async def readall(self) -> bytes:
        """Read and return everything that is left of the body."""
        self._check_open()
        chunks = [bytes(self._buffer)]
        self._buffer.clear()
        receive = self._receive
        while self._more:
            chunks.append(self._accept_event(await receive()))
        data = b''.join(chunks)
        self._pos += len(data)
        return data

    def __aiter__(self) -> AsyncIterator[bytes]:
        self._check_open()
        return self._iter_chunks()

    async def _iter_chunks(self) -> AsyncIterator[bytes]:
        # As in Falcon, one iteration at a time (two would each get part of the body): a second
        # one started while another is unfinished raises; once the body is all read, iterating
        # (again) yields nothing.
        if self._iterating:
            raise OperationNotAllowed('This request body stream is already being iterated.')
        if self.eof:
            return
        self._iterating = True
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            self._pos += len(data)
            yield data
        receive = self._receive
        while self._more:
            self._check_open()
            data = self._accept_event(await receive())
            if data:
                self._pos += len(data)
                yield data
        self._iterating = False  # finished: a later iteration finds the end

    async def exhaust(self) -> None:
        """Receive and discard the rest of the body."""
        if self._closed:
            raise ValueError('Cannot exhaust a closed request body stream.')
        self._buffer.clear()
        self._max_size = None
        receive = self._receive
        while self._more:
            self._accept_event(await receive())

    def close(self) -> None:
        """Discard buffered data and mark the stream closed (idempotent)."""
        self._buffer.clear()
        self._more = False
        self._closed = True

    # -- file-like protocol ---------------------------------------------------------------------

    @property
    def eof(self) -> bool:
        """True when nothing is buffered and no more data will arrive."""
        return not self._buffer and not self._more

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    def tell(self) -> int:
        """Number of bytes consumed so far."""
        return self._pos

    def readable(self) -> bool:
        """Always True."""
        return True

    def seekable(self) -> bool:
        """Always False."""
        return False

    def writable(self) -> bool:
        """Always False."""
        return False

    def isatty(self) -> bool:
        """Always False."""
        return False

    def fileno(self) -> int:
        """Always raises OSError: the body is not backed by a file descriptor."""
        raise OSError('An ASGI request body stream has no file descriptor.')
