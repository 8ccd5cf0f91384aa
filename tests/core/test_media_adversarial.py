"""Hostile inputs: each is answered with a 4xx in bounded time and memory (no App needed).

Memory is measured with tracemalloc *after* the input has been built, so the figures are what
parsing allocates on top of the request body itself. Time bounds are generous (the test machine
is shared); the point is "no quadratic blow-up, no hang", not a benchmark.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
import io
import json
import time
import tracemalloc
from typing import Any

import pytest

from lanner import errors

# Imported up front so that tracemalloc does not count module imports as parsing memory.
import lanner.asgi.multipart  # noqa: F401
from lanner.media import (
    JSONHandler,
    MessagePackHandler,
    MultipartFormHandler,
    URLEncodedFormHandler,
)

MiB = 1024 * 1024
CT = 'multipart/form-data; boundary=BOUNDARY'


@contextlib.contextmanager
def bounded(seconds: float, peak_bytes: int) -> Iterator[dict[str, float]]:
    stats: dict[str, float] = {}
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield stats
    finally:
        stats['seconds'] = time.perf_counter() - start
        stats['peak'] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # The time bound is a hang guard (generous on a loaded CI machine), not a speed target:
    # speed is measured in bench/. The memory bound is the property under test.
    assert stats['seconds'] < max(10 * seconds, 30.0), stats
    assert stats['peak'] < peak_bytes, stats


def expect_4xx(call: Callable[[], Any]) -> errors.HTTPError:
    with pytest.raises(errors.HTTPError) as info:
        call()
    assert 400 <= info.value.status_code < 500
    return info.value


class SyntheticBody:
    """A file-like body of ``head + filler * n + tail`` that never exists whole in memory."""

    def __init__(self, head: bytes, filler_size: int, tail: bytes, filler: bytes = b'x') -> None:
        self._parts = [head, None, tail]
        self._filler_left = filler_size
        self._block = (filler * (65536 // len(filler) + 1))[:65536]
        self.length = len(head) + filler_size + len(tail)
        self._head = memoryview(head)
        self._tail = memoryview(tail)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError('the parser must never ask for the whole body')
        if self._head:
            data = bytes(self._head[:size])
            self._head = self._head[size:]
            return data
        if self._filler_left:
            n = min(size, self._filler_left, len(self._block))
            self._filler_left -= n
            return self._block[:n]
        data = bytes(self._tail[:size])
        self._tail = self._tail[size:]
        return data


# ------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize('loads', [None, json.loads], ids=['orjson', 'stdlib'])
def test_json_nested_100k_deep(loads: Any) -> None:
    body = b'[' * 100_000 + b']' * 100_000
    handler = JSONHandler(loads=loads)
    with bounded(2.0, 4 * MiB):
        err = expect_4xx(lambda: handler.deserialize(io.BytesIO(body), None, None))
    assert err.title == 'Invalid JSON'
    objects = b'{"a":' * 100_000 + b'1' + b'}' * 100_000
    expect_4xx(lambda: handler.deserialize(io.BytesIO(objects), None, None))


@pytest.mark.parametrize('loads', [None, json.loads], ids=['orjson', 'stdlib'])
def test_json_huge_numbers(loads: Any) -> None:
    handler = JSONHandler(loads=loads)
    digits = b'9' * 1_000_000
    with bounded(2.0, 16 * MiB):
        # orjson: overflows a double; stdlib: exceeds sys.get_int_max_str_digits().
        expect_4xx(lambda: handler.deserialize(io.BytesIO(digits), None, None))


def test_json_huge_exponent() -> None:
    # orjson refuses numbers that overflow a double; the stdlib would return inf (documented).
    expect_4xx(lambda: JSONHandler().deserialize(io.BytesIO(b'[1e999999]'), None, None))
    assert JSONHandler(loads=json.loads).deserialize(io.BytesIO(b'1e999999'), None, None) == float(
        'inf'
    )


@pytest.mark.parametrize('loads', [None, json.loads], ids=['orjson', 'stdlib'])
@pytest.mark.parametrize(
    'body', [b'"\xff"', b'{"\xc3": 1}', b'"\xed\xa0\x80"', b'["\xf4\x90\x80\x80"]']
)
def test_json_invalid_utf8(loads: Any, body: bytes) -> None:
    err = expect_4xx(lambda: JSONHandler(loads=loads).deserialize(io.BytesIO(body), None, None))
    assert err.title == 'Invalid JSON'


def test_json_large_flat_document_is_linear() -> None:
    body = b'[' + b'1,' * 500_000 + b'1]'
    with bounded(3.0, 64 * MiB):
        assert len(JSONHandler().deserialize(io.BytesIO(body), None, None)) == 500_001


# ------------------------------------------------------------------------------------------
# MessagePack
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'body',
    [
        b'\xdd\xff\xff\xff\xff',  # array32 claiming 4 Gi elements
        b'\xdf\xff\xff\xff\xff',  # map32 claiming 4 Gi pairs
        b'\xc6\xff\xff\xff\xff' + b'x' * 10,  # bin32 claiming 4 GiB
        b'\xdb\xff\xff\xff\xff' + b'x' * 10,  # str32 claiming 4 GiB
        b'\xc9\xff\xff\xff\xff\x01',  # ext32 claiming 4 GiB
        b'\xdc\xff\xff' + b'\xdc\xff\xff' * 1000,  # nested array16s claiming 65535 each
        b'\x91' * 100_000 + b'\xc0',  # 100k-deep nesting
    ],
)
def test_msgpack_huge_declared_lengths(body: bytes) -> None:
    handler = MessagePackHandler()
    with bounded(1.0, 1 * MiB):
        err = expect_4xx(lambda: handler.deserialize(io.BytesIO(body), None, None))
    assert err.title == 'Invalid MessagePack'


# ------------------------------------------------------------------------------------------
# URL-encoded forms
# ------------------------------------------------------------------------------------------


def test_urlencoded_100k_fields() -> None:
    body = b'&'.join(b'f%d=v' % i for i in range(100_000))
    with bounded(1.0, 2 * MiB):
        err = expect_4xx(lambda: URLEncodedFormHandler().deserialize(io.BytesIO(body), None, None))
    assert 'more than 1000 fields' in err.description
    separators = b'&' * 1_000_000
    with bounded(1.0, 2 * MiB):
        expect_4xx(lambda: URLEncodedFormHandler().deserialize(io.BytesIO(separators), None, None))


def test_urlencoded_one_huge_field_is_linear() -> None:
    body = b'k=' + b'%41' * 300_000
    with bounded(3.0, 32 * MiB):
        result = URLEncodedFormHandler().deserialize(io.BytesIO(body), None, None)
    assert result == {'k': 'A' * 300_000}


# ------------------------------------------------------------------------------------------
# Multipart (WSGI and ASGI parsers)
# ------------------------------------------------------------------------------------------


def drain(flavour: str, stream: Any, content_type: str = CT, length: int | None = None) -> int:
    """Iterate every part, streaming its content away; returns the part count."""
    return drain_sizes(flavour, stream, content_type, length)[0]


def drain_sizes(
    flavour: str, stream: Any, content_type: str = CT, length: int | None = None
) -> tuple[int, list[int]]:
    """Iterate every part, streaming its content away; returns (part count, part sizes)."""
    handler = MultipartFormHandler()
    sizes: list[int] = []
    if flavour == 'wsgi':
        for part in handler.deserialize(stream, content_type, length):
            _ = (part.name, part.filename)
            size = 0
            while chunk := part.stream.read(65536):
                size += len(chunk)
            sizes.append(size)
        return len(sizes), sizes

    class AsyncWrapper:
        async def read(self, size: int | None = None) -> bytes:
            return stream.read(-1 if size is None else size)

    async def main() -> tuple[int, list[int]]:
        form = await handler.deserialize_async(AsyncWrapper(), content_type, length)
        async for part in form:
            size = 0
            while chunk := await part.stream.read(65536):
                size += len(chunk)
            sizes.append(size)
        return len(sizes), sizes

    return asyncio.run(main())


FLAVOURS = pytest.mark.parametrize('flavour', ['wsgi', 'asgi'])


@FLAVOURS
def test_multipart_without_boundary(flavour: str) -> None:
    body = io.BytesIO(b'--x\r\n\r\ny\r\n--x--')
    err = expect_4xx(lambda: drain(flavour, body, 'multipart/form-data'))
    assert isinstance(err, errors.HTTPInvalidHeader)


@FLAVOURS
def test_multipart_unterminated_huge_part(flavour: str) -> None:
    head = b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'
    body = SyntheticBody(head, 20 * MiB, b'')
    with bounded(10.0, 1 * MiB):
        err = expect_4xx(lambda: drain(flavour, body))
    assert err.description == 'unexpected form structure'


@FLAVOURS
def test_multipart_huge_preamble_without_delimiter(flavour: str) -> None:
    body = SyntheticBody(b'', 20 * MiB, b'', filler=b'-BOUNDARY\r\n')
    with bounded(10.0, 1 * MiB):
        err = expect_4xx(lambda: drain(flavour, body))
    assert err.description == 'unexpected form structure'


@FLAVOURS
def test_multipart_endless_headers(flavour: str) -> None:
    body = SyntheticBody(b'--BOUNDARY\r\nX: ', 20 * MiB, b'\r\n\r\n')
    with bounded(2.0, 1 * MiB):
        err = expect_4xx(lambda: drain(flavour, body))
    assert err.description == 'incomplete body part headers'


@FLAVOURS
def test_multipart_10k_parts(flavour: str) -> None:
    part = b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n'
    body = part * 10_000 + b'--BOUNDARY--'
    stream = io.BytesIO(body)
    with bounded(2.0, 1 * MiB):
        err = expect_4xx(lambda: drain(flavour, stream))
    assert err.description == 'maximum number of form body parts exceeded'
    # The parser stopped at part 65 (inside its first 64 KiB read) instead of reading all 10k.
    assert stream.tell() <= 65536


@FLAVOURS
def test_multipart_many_empty_parts_with_limit_disabled_is_linear(flavour: str) -> None:
    handler_limit_off = b'--BOUNDARY\r\n\r\n\r\n' * 20_000 + b'--BOUNDARY--'

    def run() -> int:
        handler = MultipartFormHandler()
        handler.parse_options.max_body_part_count = 0
        stream = io.BytesIO(handler_limit_off)
        if flavour == 'wsgi':
            return sum(1 for _ in handler.deserialize(stream, CT, None))

        class AsyncWrapper:
            async def read(self, size: int | None = None) -> bytes:
                return stream.read(-1 if size is None else size)

        async def main() -> int:
            form = await handler.deserialize_async(AsyncWrapper(), CT, None)
            count = 0
            async for _ in form:
                count += 1
            return count

        return asyncio.run(main())

    with bounded(5.0, 2 * MiB):
        assert run() == 20_000


@FLAVOURS
@pytest.mark.parametrize(
    'filename',
    ['../../etc/passwd', '..\\..\\windows\\system32', '/abs/path', '.hidden', 'a\x00b.txt'],
)
def test_multipart_traversal_filenames_are_neutralised(flavour: str, filename: str) -> None:
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="'
        + filename.encode()
        + b'"\r\n\r\nx\r\n--BOUNDARY--'
    )
    handler = MultipartFormHandler()
    if b'\x00' in filename.encode():
        expect_4xx(lambda: drain(flavour, io.BytesIO(body)))
        return
    for part in handler.deserialize(io.BytesIO(body), CT, len(body)):
        assert part.filename == filename
        safe = part.secure_filename
        assert '/' not in safe and '\\' not in safe and not safe.startswith('.')


@FLAVOURS
@pytest.mark.parametrize(
    'header_block',
    [
        b'Content-Disposition: form-data; name="a"\x00\r\n',
        b'Content-Disposition: form-data; name="a"\rSet-Cookie: x=1\r\n',
        b'Content-Type: text/plain\nX-Injected: 1\r\n',
        # (A line without ": " is not a header field and is ignored, as in Falcon: see
        # test_media_multipart.test_lines_that_are_not_header_fields_are_ignored.)
    ],
)
def test_multipart_header_injection(flavour: str, header_block: bytes) -> None:
    body = b'--BOUNDARY\r\n' + header_block + b'\r\nx\r\n--BOUNDARY--'
    err = expect_4xx(lambda: drain(flavour, io.BytesIO(body)))
    assert isinstance(err, errors.MultipartParseError)


@FLAVOURS
def test_multipart_get_data_of_huge_part_is_capped(flavour: str) -> None:
    head = b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"\r\n\r\n'
    body = SyntheticBody(head, 50 * MiB, b'\r\n--BOUNDARY--')
    handler = MultipartFormHandler()

    def run() -> None:
        if flavour == 'wsgi':
            for part in handler.deserialize(body, CT, body.length):
                part.get_data()
            return

        class AsyncWrapper:
            async def read(self, size: int | None = None) -> bytes:
                return body.read(-1 if size is None else size)

        async def main() -> None:
            form = await handler.deserialize_async(AsyncWrapper(), CT, body.length)
            async for part in form:
                await part.get_data()

        asyncio.run(main())

    with bounded(2.0, 4 * MiB):
        err = expect_4xx(run)
    assert err.description == 'body part is too large'


@FLAVOURS
def test_multipart_100_mib_upload_streams_with_flat_memory(flavour: str) -> None:
    head = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\n'
        b'Content-Type: application/octet-stream\r\n\r\n'
    )
    # Filler full of near-delimiters keeps the boundary search honest.
    body = SyntheticBody(head, 100 * MiB, b'\r\n--BOUNDARY--\r\n', filler=b'\r\n--BOUNDAR')
    with bounded(20.0, 1 * MiB) as stats:
        assert drain_sizes(flavour, body, CT, body.length) == (2, [5, 100 * MiB])
    print(
        f'\n{flavour}: 100 MiB upload, tracemalloc peak {stats["peak"] / 1024:.0f} KiB, '
        f'{stats["seconds"]:.2f} s'
    )
