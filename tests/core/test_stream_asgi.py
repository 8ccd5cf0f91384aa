"""``lanner.asgi.BoundedStream``: the ASGI request body as an async file-like object."""

from __future__ import annotations

from typing import Any

import pytest

from lanner import errors
from lanner.asgi import BoundedStream


class _Receiver:
    """Delivers body chunks as http.request events, then http.disconnect; counts calls."""

    def __init__(self, chunks: list[bytes], disconnect_after: int | None = None) -> None:
        self.events: list[dict[str, Any]] = [
            {'type': 'http.request', 'body': chunk, 'more_body': i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        if disconnect_after is not None:
            self.events = self.events[:disconnect_after]
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.events:
            return self.events.pop(0)
        return {'type': 'http.disconnect'}


def _stream(chunks: list[bytes], content_length: int | None = None, **kw: Any) -> BoundedStream:
    return BoundedStream(_Receiver(chunks, **kw), content_length=content_length)


async def test_read_all() -> None:
    stream = _stream([b'ab', b'cd', b'e'])
    assert await stream.read() == b'abcde'
    assert stream.eof
    assert await stream.read() == b''
    assert stream.tell() == 5


async def test_readall_and_minus_one() -> None:
    assert await _stream([b'x', b'y']).readall() == b'xy'
    assert await _stream([b'x', b'y']).read(-1) == b'xy'


async def test_chunked_reads_and_zero_size() -> None:
    stream = _stream([b'abc', b'def', b'g'])
    assert await stream.read(0) == b''
    assert await stream.read(-5) == b''
    assert await stream.read(2) == b'ab'
    assert await stream.read(4) == b'cdef'
    assert await stream.read(4) == b'g'
    assert await stream.read(4) == b''
    assert stream.tell() == 7


async def test_reads_only_what_is_needed() -> None:
    receive = _Receiver([b'a' * 10, b'b' * 10, b'c' * 10])
    stream = BoundedStream(receive)
    assert await stream.read(5) == b'aaaaa'
    assert receive.calls == 1


async def test_first_event_is_served_first() -> None:
    receive = _Receiver([b'rest'])
    first = {'type': 'http.request', 'body': b'first-', 'more_body': True}
    stream = BoundedStream(receive, first_event=first)
    assert await stream.read() == b'first-rest'


async def test_first_event_without_more_body_means_eof() -> None:
    receive = _Receiver([b'never'])
    first = {'type': 'http.request', 'body': b'only', 'more_body': False}
    stream = BoundedStream(receive, first_event=first)
    assert await stream.read() == b'only'
    assert receive.calls == 0


async def test_content_length_truncates_extra_data() -> None:
    receive = _Receiver([b'abc', b'defgh', b'never read'])
    stream = BoundedStream(receive, content_length=5)
    assert await stream.read() == b'abcde'
    assert receive.calls == 2


async def test_zero_content_length_never_receives() -> None:
    receive = _Receiver([b'abc'])
    stream = BoundedStream(receive, content_length=0)
    assert await stream.read() == b''
    assert receive.calls == 0
    assert stream.eof


async def test_disconnect_ends_the_stream() -> None:
    stream = _stream([b'ab', b'cd', b'ef'], disconnect_after=2)
    assert await stream.read() == b'abcd'
    assert stream.eof


async def test_iteration_yields_chunks() -> None:
    stream = _stream([b'a', b'', b'bc', b'd'])
    assert [chunk async for chunk in stream] == [b'a', b'bc', b'd']
    assert stream.tell() == 4


async def test_iteration_after_partial_read_yields_the_rest() -> None:
    stream = _stream([b'abc', b'def'])
    assert await stream.read(1) == b'a'
    assert [chunk async for chunk in stream] == [b'bc', b'def']


async def test_second_iteration_is_refused_until_the_end() -> None:
    # As Falcon: while a body is left, only one iteration may take chunks; once the body is
    # all read, iterating again yields nothing.
    stream = _stream([b'ab', b'cd', b'ef'])
    first = stream.__aiter__()
    assert await first.__anext__() == b'ab'
    with pytest.raises(errors.OperationNotAllowed):
        await stream.__aiter__().__anext__()
    assert [chunk async for chunk in first] == [b'cd', b'ef']
    assert [chunk async for chunk in stream] == []
    assert await stream.read() == b''
    assert stream.tell() == 6


async def test_second_iteration_is_refused_even_with_the_body_all_buffered() -> None:
    stream = _stream([b'abc'])
    first = stream.__aiter__()
    assert await first.__anext__() == b'abc'
    with pytest.raises(errors.OperationNotAllowed):
        await stream.__aiter__().__anext__()


async def test_iterating_after_readall_yields_nothing() -> None:
    stream = _stream([b'ab', b'cd'])
    assert await stream.readall() == b'abcd'
    assert [chunk async for chunk in stream] == []


async def test_exhaust() -> None:
    receive = _Receiver([b'a', b'b', b'c'])
    stream = BoundedStream(receive)
    await stream.exhaust()
    assert stream.eof
    assert receive.calls == 3
    assert await stream.read() == b''


async def test_exhaust_with_disconnect() -> None:
    stream = _stream([b'a', b'b', b'c'], disconnect_after=1)
    await stream.exhaust()
    assert stream.eof


async def test_close_is_idempotent_and_blocks_reads() -> None:
    stream = _stream([b'abc'])
    stream.close()
    stream.close()
    assert stream.closed
    with pytest.raises(errors.OperationNotAllowed):
        await stream.read()
    with pytest.raises(errors.OperationNotAllowed):
        await stream.readall()
    with pytest.raises(errors.OperationNotAllowed):
        stream.__aiter__()
    with pytest.raises(ValueError):
        await stream.exhaust()


async def test_max_size_limit() -> None:
    stream = _stream([b'12345', b'67890', b'abc'])
    stream._max_size = 8
    with pytest.raises(errors.HTTPContentTooLarge):
        await stream.read()


async def test_file_like_protocol() -> None:
    stream = _stream([b''])
    assert stream.readable() is True
    assert stream.seekable() is False
    assert stream.writable() is False
    assert stream.isatty() is False
    with pytest.raises(OSError):
        stream.fileno()
    assert 'BoundedStream' in repr(stream)


async def test_large_body_in_many_chunks_is_linear() -> None:
    chunks = [b'x' * 1024] * 2048  # 2 MiB in 1 KiB events
    stream = _stream(chunks)
    data = await stream.read(len(chunks) * 1024)
    assert len(data) == 2 * 1024 * 1024
