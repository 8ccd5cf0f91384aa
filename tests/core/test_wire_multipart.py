"""The I/O-free multipart framer, fed lists of byte chunks (no reader, no event loop).

Every chunking of one body must give the same parts (headers and data) or the same error.
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
import pytest

from lanner._wire.multipart import ERR_STRUCTURE, ERR_TOO_MANY_PARTS, MultipartFramer
from lanner._wire.receive_buffer import ReceiveBuffer
from lanner.errors import MultipartParseError

BOUNDARY = b'xyz'


class _Chunks:
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = [c for c in chunks if c]

    def feed(self, buffer: ReceiveBuffer) -> None:
        if not self._chunks:
            buffer.close()
            return
        chunk = self._chunks.pop(0)
        buffer.feed(chunk, len(chunk))


def _frame(chunks: list[bytes], max_count: int = 0) -> list[tuple[dict[bytes, str], bytes]] | str:
    """The parts as (headers, data); a part's data is read the way a delimited reader would."""
    buffer = ReceiveBuffer()
    source = _Chunks(chunks)
    framer = MultipartFramer(BOUNDARY, max_count, 100)
    parts = []

    def until(query):  # type: ignore[no-untyped-def]
        while (answer := query(buffer)) is None:
            source.feed(buffer)
        return answer

    try:
        while until(framer.next_part):
            data = until(lambda b: b.read_until(framer.delimiter))
            parts.append((framer.headers, data))
    except MultipartParseError as err:
        return str(err.description)
    return parts


def _body(parts: list[bytes], preamble: bytes, epilogue: bytes) -> bytes:
    out = [preamble]
    for data in parts:
        out.append(b'\r\n--xyz\r\nContent-Disposition: form-data; name="f"\r\n\r\n' + data)
    out.append(b'\r\n--xyz--' + epilogue)
    return b''.join(out)


_DATA = st.lists(st.sampled_from([b'a', b'-', b'\r', b'\n', b'x', b'y', b'z']), max_size=12).map(
    b''.join
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(_DATA, max_size=4),
    preamble=_DATA,
    epilogue=_DATA,
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=15),
)
def test_every_chunking_gives_the_same_parts(
    parts: list[bytes], preamble: bytes, epilogue: bytes, cuts: list[int]
) -> None:
    body = _body(parts, preamble, epilogue)
    whole = _frame([body])
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    assert _frame([body[a:b] for a, b in pairwise(points)]) == whole
    assert _frame([body[i : i + 1] for i in range(len(body))]) == whole
    # Data that never contains the delimiter comes back exactly as sent.
    if not any(b'\r\n--xyz' in p + b'\r\n--xyz'[:-1] for p in parts) and b'--xyz' not in preamble:
        assert whole == [({b'content-disposition': 'form-data; name="f"'}, p) for p in parts]


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=80), cuts=st.lists(st.integers(0, 100), max_size=10))
def test_arbitrary_bytes_frame_the_same_whatever_the_chunks(body: bytes, cuts: list[int]) -> None:
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    assert _frame([body[a:b] for a, b in pairwise(points)]) == _frame([body])


def test_a_premature_end_is_a_structure_error() -> None:
    assert _frame([b'--xyz\r\n\r\nabc']) == ERR_STRUCTURE
    assert _frame([b'no boundary at all']) == ERR_STRUCTURE


def test_the_part_count_limit_is_checked_before_the_headers_are_read() -> None:
    body = _body([b'1', b'2', b'3'], b'', b'')
    assert len(_frame([body], max_count=3)) == 3
    assert _frame([body], max_count=2) == ERR_TOO_MANY_PARTS


def test_a_part_without_headers() -> None:
    assert _frame([b'--xyz\r\n\r\ndata\r\n--xyz--']) == [({}, b'data')]


@pytest.mark.parametrize('marker', [b'??', b'-'])
def test_a_garbled_marker_after_a_boundary(marker: bytes) -> None:
    assert _frame([b'--xyz' + marker]) == ERR_STRUCTURE
