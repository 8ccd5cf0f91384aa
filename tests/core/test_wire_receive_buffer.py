"""The I/O-free receive buffer, driven by lists of byte chunks (no event loop, no reader).

The main property: a script of queries gets the same answers, and the same errors, however the
body is cut into chunks, and those answers match a plain model over the whole body.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from lanner._wire.receive_buffer import ReceiveBuffer
from lanner.errors import DelimiterError

CHUNK = 7  # what the driver asks for per feed; small, so queries span many feeds


def _chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given positions."""
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in pairwise(points) if b > a]


class _Source:
    """Serves chunks, never more than asked (the remainder of a chunk comes next time)."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._pending = list(chunks)

    def read(self, size: int) -> bytes:
        while self._pending and not self._pending[0]:
            self._pending.pop(0)
        if not self._pending:
            return b''
        head = self._pending[0]
        self._pending[0] = head[size:]
        return head[:size]


def _drive_source(buffer: ReceiveBuffer, source: _Source, query: Callable[..., Any]) -> Any:
    """The driver protocol from the module docstring."""
    while (answer := query(buffer)) is None:
        size = buffer.ask(CHUNK)
        if not size or not buffer.feed(source.read(size), size):
            buffer.close()
    return answer


def _run_source(
    chunks: list[bytes], script: list[tuple[Any, ...]], max_len: int | None
) -> list[Any]:
    buffer = ReceiveBuffer(max_len)
    source = _Source(chunks)
    results: list[Any] = []
    for op, *args in script:
        method = getattr(buffer, op)
        try:
            answer = _drive_source(buffer, source, lambda b, m=method, a=args: m(*a))
        except DelimiterError:
            answer = 'DelimiterError'
        results.append((answer, buffer.consumed))
    return results


_DELIMS = st.sampled_from([b'\n', b'--', b'\r\n--xy', b'abc'])
_SIZES = st.integers(min_value=-1, max_value=20)
_STEP = st.one_of(
    st.tuples(st.just('read'), _SIZES),
    st.tuples(st.just('peek'), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just('read_until'), _DELIMS, _SIZES, st.booleans()),
    st.tuples(st.just('read_line'), _SIZES),
    st.tuples(st.just('discard_until'), _DELIMS),
)
_BODY = st.lists(st.sampled_from([b'a', b'b', b'c', b'\n', b'-', b'\r', b'x', b'y']), max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    body=_BODY.map(b''.join),
    cuts=st.lists(st.integers(min_value=0, max_value=80), max_size=12),
    script=st.lists(_STEP, max_size=8),
    max_len=st.one_of(st.none(), st.integers(min_value=0, max_value=70)),
)
def test_every_chunking_gives_the_same_answers(
    body: bytes, cuts: list[int], script: list[tuple[Any, ...]], max_len: int | None
) -> None:
    whole = _run_source([body], script, max_len)
    assert _run_source(_chunked(body, cuts), script, max_len) == whole
    # One byte at a time is the most demanding chunking.
    assert _run_source([body[i : i + 1] for i in range(len(body))], script, max_len) == whole


@settings(max_examples=300, deadline=None)
@given(body=_BODY.map(b''.join), cuts=st.lists(st.integers(0, 80), max_size=12), delim=_DELIMS)
def test_read_until_matches_a_plain_model(body: bytes, cuts: list[int], delim: bytes) -> None:
    index = body.find(delim)
    script: list[tuple[Any, ...]] = [('read_until', delim, -1, True)]
    [(answer, consumed)] = _run_source(_chunked(body, cuts), script, None)
    if index < 0:
        assert answer == 'DelimiterError'
        assert consumed == len(body)
    else:
        assert answer == body[:index]
        assert consumed == index + len(delim)


@settings(max_examples=200, deadline=None)
@given(body=_BODY.map(b''.join), cuts=st.lists(st.integers(0, 80), max_size=12), delim=_DELIMS)
def test_discard_until_keeps_less_than_a_delimiter_buffered(
    body: bytes, cuts: list[int], delim: bytes
) -> None:
    buffer = ReceiveBuffer()
    source = _Source(_chunked(body, cuts))
    peak = 0

    def query(b: ReceiveBuffer) -> bool | None:
        nonlocal peak
        peak = max(peak, len(b))
        answer = b.discard_until(delim)
        if answer is None:
            assert len(b) < len(delim)
        return answer

    index = body.find(delim)
    if index < 0:
        with pytest.raises(DelimiterError):
            _drive_source(buffer, source, query)
    else:
        assert _drive_source(buffer, source, query) is True
        assert buffer.consumed == index + len(delim)
    assert peak < len(delim) + CHUNK


@given(body=_BODY.map(b''.join), cuts=st.lists(st.integers(0, 80), max_size=12))
def test_read_some_hands_out_every_byte_once(body: bytes, cuts: list[int]) -> None:
    # What read_some returns at a time depends on the chunks (that is its purpose); what it
    # returns in all does not.
    buffer = ReceiveBuffer()
    source = _Source(_chunked(body, cuts))
    pieces = []
    while piece := _drive_source(buffer, source, ReceiveBuffer.read_some):
        assert len(piece) <= CHUNK
        pieces.append(piece)
    assert b''.join(pieces) == body


@given(body=st.binary(max_size=50), max_len=st.integers(min_value=0, max_value=60))
def test_never_accepts_more_than_max_len(body: bytes, max_len: int) -> None:
    [(answer, consumed)] = _run_source([body], [('read', -1)], max_len)
    assert answer == body[:max_len]
    assert consumed == len(answer)


def test_a_sized_read_until_stops_searching_after_size_plus_the_delimiter() -> None:
    buffer = ReceiveBuffer()
    buffer.feed(b'0123456789', 10)
    # No '--' can start within the first 5 bytes: answered without more data.
    assert buffer.read_until(b'--', 5) == b'01234'
    assert buffer.read_until(b'--', 5) is None  # 56789 could be followed by '-' '-'...
    buffer.feed(b'--', 2)
    assert buffer.read_until(b'--', 5, consume_delimiter=True) == b'56789'
    assert buffer.consumed == 12


def test_consume_delimiter_waits_to_know_whether_it_follows() -> None:
    buffer = ReceiveBuffer()
    buffer.feed(b'abc-', 4)
    assert buffer.read_until(b'--', 3, consume_delimiter=True) is None
    buffer.feed(b'x', 1)
    with pytest.raises(DelimiterError):
        buffer.read_until(b'--', 3, consume_delimiter=True)
    # The bytes before the missing delimiter were handed out all the same.
    assert buffer.consumed == 3


def test_a_longer_chunk_than_asked_for_is_cut() -> None:
    buffer = ReceiveBuffer(max_len=4)
    assert buffer.ask(10) == 4
    assert buffer.feed(b'abcdefgh', 4)
    assert buffer.closed
    assert buffer.read(-1) == b'abcd'


def test_pass_through_hands_back_exact_chunks_and_buffers_short_ones() -> None:
    buffer = ReceiveBuffer()
    chunk = b'abcd'
    assert buffer.pass_through(chunk, 4, 4) is chunk
    assert buffer.pass_through(b'ab', 4, 4) is None
    assert len(buffer) == 2
    assert buffer.consumed == 4


def test_detach_empties_and_closes() -> None:
    buffer = ReceiveBuffer()
    buffer.feed(b'abc', 3)
    buffer.detach()
    assert buffer.read(2) == b''
    assert buffer.read_some() == b''
    assert buffer.ask(5) == 0
