"""``lanner.BoundedStream`` (WSGI): reads never go past Content-Length."""

from __future__ import annotations

import io
from typing import Any

import pytest

import lanner
from lanner.stream import BoundedStream
from lanner.util.deprecation import DeprecatedWarning


class _TrackingStream(io.BytesIO):
    """A wsgi.input stand-in that records every size it was asked for."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.requests: list[Any] = []

    def read(self, size: int | None = -1) -> bytes:
        self.requests.append(size)
        return super().read(size)

    def readline(self, size: int | None = -1) -> bytes:
        self.requests.append(size)
        return super().readline(size)


def test_public_names() -> None:
    assert lanner.BoundedStream is BoundedStream
    assert lanner.stream.Body is BoundedStream


def test_read_all_is_clamped_to_length() -> None:
    raw = _TrackingStream(b'hello world, and more')
    stream = BoundedStream(raw, 11)
    assert stream.read() == b'hello world'
    assert stream.read() == b''
    assert stream.eof
    with pytest.warns(DeprecatedWarning, match='Use `eof` instead'):
        assert stream.is_exhausted
    # The wrapped stream was never asked for more than the body's length.
    assert all(size is not None and 0 <= size <= 11 for size in raw.requests)


@pytest.mark.parametrize('size', [None, -1, 100])
def test_read_sizes_are_clamped(size: int | None) -> None:
    stream = BoundedStream(io.BytesIO(b'abcdefgh'), 5)
    assert stream.read(size) == b'abcde'


def test_chunked_reads() -> None:
    stream = BoundedStream(io.BytesIO(b'abcdefgh'), 7)
    assert stream.read(3) == b'abc'
    assert stream.read(3) == b'def'
    assert not stream.eof
    assert stream.read(3) == b'g'
    assert stream.read(3) == b''
    assert stream.read(0) == b''


def test_readline_and_readlines() -> None:
    data = b'line1\nline2\nline3\nextra'
    stream = BoundedStream(io.BytesIO(data), 15)
    assert stream.readline() == b'line1\n'
    assert stream.readline(3) == b'lin'
    assert stream.readlines() == [b'e2\n', b'lin']
    assert stream.readline() == b''


def test_readlines_hint() -> None:
    stream = BoundedStream(io.BytesIO(b'a\nb\nc\n'), 6)
    assert stream.readlines(1) == [b'a\n']
    assert stream.readlines() == [b'b\n', b'c\n']


def test_iteration_is_bounded_by_length() -> None:
    stream = BoundedStream(io.BytesIO(b'x\ny\nz\nBEYOND\n'), 6)
    assert list(stream) == [b'x\n', b'y\n', b'z\n']


def test_exhaust_discards_the_rest() -> None:
    raw = io.BytesIO(b'0123456789TAIL')
    stream = BoundedStream(raw, 10)
    stream.read(2)
    stream.exhaust(chunk_size=3)
    assert stream.eof
    assert raw.read() == b'TAIL'


def test_short_body_is_a_400_not_a_complete_body() -> None:
    # Client announced 100 bytes but sent 3 (then closed its side): reading everything must
    # not pass the 3 bytes off as the whole body, nor spin.
    stream = BoundedStream(io.BytesIO(b'abc'), 100)
    with pytest.raises(lanner.HTTPBadRequest) as info:
        stream.read()
    assert info.value.title == 'Incomplete request body'
    assert 'ended after 3 of the 100 bytes' in info.value.description
    assert not stream.eof
    # Every later read says so again instead of reporting a clean end.
    with pytest.raises(lanner.HTTPBadRequest):
        stream.read(10)
    # Discarding the rest is not an error.
    stream.exhaust()
    assert stream.eof
    assert stream.read() == b''


@pytest.mark.parametrize('method', ['read', 'readline', 'readlines', 'iter'])
def test_short_body_raises_on_every_read_api(method: str) -> None:
    stream = BoundedStream(io.BytesIO(b'ab\ncd'), 50)
    with pytest.raises(lanner.HTTPBadRequest, match='400 Bad Request') as info:
        if method == 'read':
            while stream.read(4):
                pass
        elif method == 'readline':
            while stream.readline():
                pass
        elif method == 'readlines':
            stream.readlines()
        else:
            list(stream)
    assert 'ended after 5 of the 50 bytes' in info.value.description


def test_read_all_gathers_short_reads_of_a_raw_socket() -> None:
    class Trickle(io.RawIOBase):
        # Like a socket: at most 2 bytes per read, whatever was asked for.
        def __init__(self, data: bytes) -> None:
            self._data = data

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            chunk, self._data = self._data[:2], self._data[2:]
            return chunk

    stream = BoundedStream(Trickle(b'abcdefg'), 7)
    assert stream.read() == b'abcdefg'
    assert stream.eof


def test_empty_body_without_content_length() -> None:
    stream = BoundedStream(io.BytesIO(b'should not be read'), 0)
    assert stream.read() == b''
    assert stream.readline() == b''
    assert stream.eof


def test_file_like_protocol() -> None:
    stream = BoundedStream(io.BytesIO(b''), 0)
    assert stream.readable() is True
    assert stream.seekable() is False
    assert stream.writable() is False
    with pytest.raises(OSError, match='read-only'):
        stream.write(b'x')
    assert 'BoundedStream' in repr(stream)
