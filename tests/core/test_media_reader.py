"""The sync (lanner.util.reader) and async (lanner.asgi.reader) buffered readers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import inspect
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from lanner.asgi.reader import BufferedReader as AsyncBufferedReader
from lanner.errors import DelimiterError, OperationNotAllowed
from lanner.util.reader import BufferedReader


class AsyncSource:
    def __init__(self, data: bytes, max_piece: int | None = None) -> None:
        self._io = io.BytesIO(data)
        self._max_piece = max_piece
        self.requests: list[int] = []

    async def read(self, size: int | None = None) -> bytes:
        self.requests.append(-1 if size is None else size)
        if self._max_piece is not None and size is not None:
            size = min(size, self._max_piece)
        return self._io.read(-1 if size is None else size)


class Synced:
    """Run the async reader's coroutine methods to completion so tests are shared."""

    def __init__(self, reader: AsyncBufferedReader) -> None:
        self._reader = reader

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._reader, name)
        if inspect.iscoroutinefunction(attr):
            return lambda *args, **kwargs: asyncio.run(attr(*args, **kwargs))
        if name == 'delimit':
            return lambda delimiter: Synced(attr(delimiter))
        return attr


def make(flavour: str, data: bytes, chunk_size: int = 7, max_piece: int | None = None) -> Any:
    if flavour == 'sync':
        source = io.BytesIO(data)

        def read(size: int) -> bytes:
            return source.read(min(size, max_piece) if max_piece else size)

        return BufferedReader(read, len(data), chunk_size)
    return Synced(AsyncBufferedReader(AsyncSource(data, max_piece), chunk_size))


FLAVOURS = pytest.mark.parametrize('flavour', ['sync', 'async'])
DATA = b'line one\r\nline two--BOUNDARY\r\npayload\r\n--BOUNDARY--tail'


@FLAVOURS
def test_read_all_and_sized(flavour: str) -> None:
    reader = make(flavour, DATA)
    assert reader.read(4) == b'line'
    assert reader.tell() == 4
    assert reader.read(0) == b''
    assert reader.read() == DATA[4:]
    assert reader.read() == b''
    assert reader.read(10) == b''
    assert make(flavour, DATA).read(None) == DATA


@FLAVOURS
def test_peek_does_not_consume(flavour: str) -> None:
    reader = make(flavour, DATA)
    assert reader.peek(10) == DATA[:10]
    assert reader.peek(3) == DATA[:3]
    assert reader.read(10) == DATA[:10]
    assert make(flavour, b'abc').peek(100) == b'abc'


@FLAVOURS
def test_read_until(flavour: str) -> None:
    reader = make(flavour, DATA)
    assert reader.read_until(b'--BOUNDARY') == b'line one\r\nline two'
    assert reader.read(10) == b'--BOUNDARY'
    assert reader.read_until(b'--BOUNDARY', consume_delimiter=True) == b'\r\npayload\r\n'
    assert reader.read_until(b'--BOUNDARY') == b'--tail'
    assert reader.read_until(b'x') == b''


@FLAVOURS
def test_read_until_size_limit(flavour: str) -> None:
    reader = make(flavour, DATA)
    assert reader.read_until(b'--BOUNDARY', 5) == b'line '
    assert reader.read_until(b'--BOUNDARY', 100) == b'one\r\nline two'
    with pytest.raises(DelimiterError):
        make(flavour, DATA).read_until(b'--BOUNDARY', 5, consume_delimiter=True)


@FLAVOURS
def test_read_until_missing_delimiter(flavour: str) -> None:
    reader = make(flavour, b'no delimiter here')
    with pytest.raises(DelimiterError):
        reader.read_until(b'@@', consume_delimiter=True)
    reader = make(flavour, b'no delimiter here')
    assert reader.read_until(b'@@') == b'no delimiter here'
    with pytest.raises(ValueError):
        reader.read_until(b'')


@FLAVOURS
@pytest.mark.parametrize('chunk_size', [1, 2, 3, 5, 64])
def test_delimiter_across_chunk_boundaries(flavour: str, chunk_size: int) -> None:
    data = b'ab' * 20 + b'\r\n--XYZ' + b'cd' * 20
    reader = make(flavour, data, chunk_size=chunk_size)
    assert reader.read_until(b'\r\n--XYZ', consume_delimiter=True) == b'ab' * 20
    assert reader.read() == b'cd' * 20


@FLAVOURS
def test_pipe_and_pipe_until(flavour: str) -> None:
    out = io.BytesIO()
    reader = make(flavour, DATA)
    reader.pipe_until(b'--BOUNDARY', out, consume_delimiter=True)
    assert out.getvalue() == b'line one\r\nline two'
    reader.pipe_until(b'--BOUNDARY')
    assert reader.peek(10) == b'--BOUNDARY'
    rest = io.BytesIO()
    reader.pipe(rest)
    assert rest.getvalue() == b'--BOUNDARY--tail'
    with pytest.raises(DelimiterError):
        make(flavour, b'abc').pipe_until(b'zz', consume_delimiter=True)


@FLAVOURS
def test_exhaust(flavour: str) -> None:
    reader = make(flavour, DATA)
    reader.read(3)
    reader.exhaust()
    assert reader.read() == b''
    assert reader.eof


@FLAVOURS
def test_delimit(flavour: str) -> None:
    reader = make(flavour, b'part-one\r\n--B\r\npart-two', chunk_size=3)
    child = reader.delimit(b'\r\n--B')
    assert child.read(4) == b'part'
    assert child.read() == b'-one'
    assert child.read() == b''
    assert reader.read() == b'\r\n--B\r\npart-two'
    with pytest.raises(ValueError):
        reader.delimit(b'')


@FLAVOURS
def test_detached_child_reads_nothing(flavour: str) -> None:
    reader = make(flavour, b'aaa|bbb')
    child = reader.delimit(b'|')
    child._detach()
    assert child.read() == b''
    assert reader.read() == b'aaa|bbb'


@FLAVOURS
def test_source_asked_for_bounded_chunks(flavour: str) -> None:
    data = b'x' * 1000
    reader = make(flavour, data, chunk_size=64, max_piece=10)
    assert reader.read() == data


def test_sync_max_stream_len_and_misbehaving_source() -> None:
    source = io.BytesIO(b'0123456789')
    reader = BufferedReader(source.read, 4, 2)
    assert reader.read() == b'0123'

    reader = BufferedReader(lambda size: b'z' * 1000, 10, 4)
    assert reader.read() == b'z' * 10
    assert BufferedReader(io.BytesIO(b'abc').read, 0).read() == b''


def test_sync_readline_readlines() -> None:
    data = b'one\ntwo\n\nthree'
    reader = BufferedReader(io.BytesIO(data).read, len(data), 2)
    assert reader.readline() == b'one\n'
    assert reader.readline(2) == b'tw'
    assert reader.readline() == b'o\n'
    assert reader.readline(0) == b''
    assert reader.readlines() == [b'\n', b'three']
    reader = BufferedReader(io.BytesIO(data).read, len(data), 2)
    assert reader.readlines(5) == [b'one\n', b'two\n']
    assert reader.readable() and not reader.seekable() and not reader.writable()
    assert not reader.writeable()


def test_async_iteration_and_sources() -> None:
    async def main() -> None:
        reader = AsyncBufferedReader(AsyncSource(b'abcdefghij'), 4)
        assert await reader.peek(2) == b'ab'
        chunks = [chunk async for chunk in reader]
        assert b''.join(chunks) == b'abcdefghij'
        with pytest.raises(OperationNotAllowed):
            reader.__aiter__()

        async def chunks_source() -> AsyncIterator[bytes]:
            for piece in (b'he', b'', b'llo wor', b'ld'):
                yield piece

        reader = AsyncBufferedReader(chunks_source(), 3)
        assert await reader.read_until(b' ', consume_delimiter=True) == b'hello'
        assert await reader.readall() == b'world'

        async def read_fn(size: int) -> bytes:
            return b''

        assert await AsyncBufferedReader(read_fn).read() == b''
        with pytest.raises(TypeError):
            AsyncBufferedReader(42)

        class AsyncSink:
            def __init__(self) -> None:
                self.data = b''

            async def write(self, data: bytes) -> None:
                self.data += data

        sink = AsyncSink()
        reader = AsyncBufferedReader(AsyncSource(b'abc|def'), 2)
        await reader.pipe_until(b'|', sink, consume_delimiter=True)
        await reader.pipe(sink)
        assert sink.data == b'abcdef'
        assert reader.eof

        limited = AsyncBufferedReader(AsyncSource(b'abcdef'), 4, max_stream_len=3)
        assert await limited.read() == b'abc'

    asyncio.run(main())


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=300),
    delimiter=st.binary(min_size=1, max_size=6),
    chunk_size=st.integers(1, 17),
    size=st.integers(-1, 40),
)
def test_read_until_matches_reference(
    data: bytes, delimiter: bytes, chunk_size: int, size: int
) -> None:
    reader = BufferedReader(io.BytesIO(data).read, len(data), chunk_size)
    index = data.find(delimiter)
    before = data if index < 0 else data[:index]
    expected = before if size < 0 else before[:size]
    assert reader.read_until(delimiter, size) == expected
    assert reader.read() == data[len(expected) :]


@settings(max_examples=100, deadline=None)
@given(
    pieces=st.lists(st.binary(max_size=40), max_size=8),
    delimiter=st.binary(min_size=1, max_size=5),
    chunk_size=st.integers(1, 9),
)
def test_delimit_and_pipe_until_split_like_bytes_split(
    pieces: list[bytes], delimiter: bytes, chunk_size: int
) -> None:
    data = delimiter.join(pieces)
    expected = data.split(delimiter)
    reader = BufferedReader(io.BytesIO(data).read, len(data), chunk_size)
    got = []
    for _ in expected[:-1]:
        got.append(reader.delimit(delimiter).read())
        reader.pipe_until(delimiter, consume_delimiter=True)
    got.append(reader.read())
    assert got == expected


async def test_async_reader_file_like_placeholders_and_unbounded_read_until() -> None:
    reader = AsyncBufferedReader(AsyncSource(b'one two three'), chunk_size=4)
    with pytest.raises(OSError):
        reader.fileno()
    assert not reader.isatty()
    assert reader.readable() and not reader.seekable() and not reader.writable()
    # size=None means no limit, as -1 does.
    assert await reader.read_until(b' three', None) == b'one two'


def test_sync_reader_keeps_falcons_private_read_name() -> None:
    reader = BufferedReader(io.BytesIO(b'abc').read, 3)
    assert reader._read(2) == b'ab'
