"""``lanner.BoundedStream`` (WSGI): reads never go past Content-Length."""

from __future__ import annotations

import io
from typing import Any

import pytest

import lanner
from lanner.stream import BoundedStream


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
    assert stream.eof and stream.is_exhausted
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


def test_short_body_does_not_loop_forever() -> None:
    # Client announced 100 bytes but sent 3: reads end instead of spinning.
    stream = BoundedStream(io.BytesIO(b'abc'), 100)
    assert stream.read() == b'abc'
    assert stream.read() == b''
    assert stream.eof
    stream.exhaust()


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
