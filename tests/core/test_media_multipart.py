"""Streaming multipart/form-data parsing, WSGI and ASGI flavours (no App needed)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest

from lanner import errors
from lanner.asgi import multipart as asgi_multipart
from lanner.media import Handlers, JSONHandler, MultipartFormHandler, multipart
from lanner.media.multipart import MultipartParseOptions

FLAVOURS = pytest.mark.parametrize('flavour', ['wsgi', 'asgi'])
CT = 'multipart/form-data; boundary=BOUNDARY'


class AsyncSource:
    def __init__(self, data: bytes) -> None:
        self._io = io.BytesIO(data)

    async def read(self, size: int | None = None) -> bytes:
        return self._io.read(-1 if size is None else size)


def build(*parts: tuple[dict[str, str], bytes], boundary: str = 'BOUNDARY') -> bytes:
    out = [b'preamble is ignored\r\n']
    for headers, data in parts:
        out.append(f'--{boundary}\r\n'.encode())
        for name, value in headers.items():
            out.append(f'{name}: {value}\r\n'.encode())
        out.append(b'\r\n' + data + b'\r\n')
    out.append(f'--{boundary}--\r\nepilogue is ignored'.encode())
    return b''.join(out)


def field(name: str, value: bytes | str, **extra: str) -> tuple[dict[str, str], bytes]:
    headers = {'Content-Disposition': f'form-data; name="{name}"'}
    headers.update(extra)
    return headers, value.encode() if isinstance(value, str) else value


def upload(name: str, filename: str, data: bytes, ctype: str = 'application/octet-stream') -> Any:
    return (
        {
            'Content-Disposition': f'form-data; name="{name}"; filename="{filename}"',
            'Content-Type': ctype,
        },
        data,
    )


def parse(
    flavour: str,
    body: bytes,
    content_type: str = CT,
    handler: MultipartFormHandler | None = None,
    read: str = 'data',
) -> list[dict[str, Any]]:
    """Parse and collect (name, filename, content_type, <read>) per part."""
    handler = handler or MultipartFormHandler()
    if flavour == 'wsgi':
        form = handler.deserialize(io.BytesIO(body), content_type, len(body))
        out = []
        for part in form:
            value = getattr(part, read) if read else None
            out.append(
                {
                    'name': part.name,
                    'filename': part.filename,
                    'content_type': part.content_type,
                    read: value,
                }
            )
        return out

    async def main() -> list[dict[str, Any]]:
        form = await handler.deserialize_async(AsyncSource(body), content_type, len(body))
        out = []
        async for part in form:
            value = (await getattr(part, read)) if read else None
            out.append(
                {
                    'name': part.name,
                    'filename': part.filename,
                    'content_type': part.content_type,
                    read: value,
                }
            )
        return out

    return asyncio.run(main())


def parse_error(flavour: str, body: bytes, **kwargs: Any) -> errors.HTTPError:
    with pytest.raises(errors.HTTPError) as info:
        parse(flavour, body, **kwargs)
    assert 400 <= info.value.status_code < 500
    return info.value


@FLAVOURS
def test_fields_and_files(flavour: str) -> None:
    body = build(
        field('greeting', 'hello world'),
        upload('file', 'report.pdf', b'%PDF\x00\xff binary'),
        field('empty', b''),
    )
    assert parse(flavour, body) == [
        {
            'name': 'greeting',
            'filename': None,
            'content_type': 'text/plain',
            'data': b'hello world',
        },
        {
            'name': 'file',
            'filename': 'report.pdf',
            'content_type': 'application/octet-stream',
            'data': b'%PDF\x00\xff binary',
        },
        {'name': 'empty', 'filename': None, 'content_type': 'text/plain', 'data': b''},
    ]


@FLAVOURS
def test_text(flavour: str) -> None:
    body = build(
        field('a', 'Zoë'),
        field('b', 'Zoë'.encode('latin-1'), **{'Content-Type': 'text/plain; charset=latin-1'}),
        upload('c', 'x.bin', b'\x00'),
    )
    assert [p['text'] for p in parse(flavour, body, read='text')] == ['Zoë', 'Zoë', None]


@FLAVOURS
@pytest.mark.parametrize(
    ('ctype', 'data'),
    [('text/plain; charset=nope', b'abc'), ('text/plain', b'\xff\xfe\xfa')],
)
def test_text_bad_charset_or_data(flavour: str, ctype: str, data: bytes) -> None:
    body = build(field('a', data, **{'Content-Type': ctype}))
    err = parse_error(flavour, body, read='text')
    assert isinstance(err, errors.MultipartParseError)
    assert err.title == 'Malformed multipart/form-data request media'
    assert err.description.startswith('invalid text or charset: ')


@FLAVOURS
def test_default_charset_option(flavour: str) -> None:
    handler = MultipartFormHandler()
    handler.parse_options.default_charset = 'latin-1'
    body = build(field('a', 'Zoë'.encode('latin-1')))
    assert parse(flavour, body, handler=handler, read='text')[0]['text'] == 'Zoë'


@FLAVOURS
def test_part_media(flavour: str) -> None:
    body = build(
        field('doc', b'{"a": [1, 2]}', **{'Content-Type': 'application/json'}),
        field('form', b'x=1&y=2', **{'Content-Type': 'application/x-www-form-urlencoded'}),
    )
    media = [p['media'] for p in parse(flavour, body, read='media')]
    assert media == [{'a': [1, 2]}, {'x': '1', 'y': '2'}]


@FLAVOURS
def test_part_media_errors(flavour: str) -> None:
    plain = build(field('a', 'text'))
    err = parse_error(flavour, plain, read='media')
    assert isinstance(err, errors.HTTPUnsupportedMediaType)
    assert err.description == 'text/plain is an unsupported media type.'

    bad_json = build(field('a', b'{', **{'Content-Type': 'application/json'}))
    err = parse_error(flavour, bad_json, read='media')
    assert isinstance(err, errors.MediaMalformedError)
    assert err.title == 'Invalid JSON'


def test_part_media_cached_including_errors() -> None:
    body = build(field('doc', b'[1]', **{'Content-Type': 'application/json'}))
    for part in MultipartFormHandler().deserialize(io.BytesIO(body), CT, len(body)):
        first = part.get_media()
        assert part.media is first
        assert part.data == b'[1]'

    body = build(field('doc', b'[', **{'Content-Type': 'application/json'}))
    for part in MultipartFormHandler().deserialize(io.BytesIO(body), CT, len(body)):
        with pytest.raises(errors.MediaMalformedError) as first_err:
            part.get_media()
        with pytest.raises(errors.MediaMalformedError) as second_err:
            part.get_media()
        assert first_err.value is second_err.value


def test_per_part_handlers_not_shared_between_handlers() -> None:
    one, two = MultipartFormHandler(), MultipartFormHandler()
    assert one.parse_options.media_handlers is not two.parse_options.media_handlers
    assert sorted(one.parse_options.media_handlers) == [
        'application/json',
        'application/x-www-form-urlencoded',
    ]
    one.parse_options.media_handlers['text/plain'] = JSONHandler()
    assert 'text/plain' not in two.parse_options.media_handlers


@FLAVOURS
def test_custom_part_handler(flavour: str) -> None:
    handler = MultipartFormHandler()
    handler.parse_options.media_handlers['text/plain'] = JSONHandler()
    body = build(field('a', '[true]'))
    assert parse(flavour, body, handler=handler, read='media')[0]['media'] == [True]


@FLAVOURS
def test_nested_multipart_mixed(flavour: str) -> None:
    inner = build(upload('f1', 'a.txt', b'AAA'), upload('f2', 'b.txt', b'BBB'), boundary='INNER')
    body = build(field('files', inner, **{'Content-Type': 'multipart/mixed; boundary=INNER'}))
    handler = MultipartFormHandler()
    handler.parse_options.media_handlers['multipart/mixed'] = MultipartFormHandler()

    if flavour == 'wsgi':
        out = []
        for part in handler.deserialize(io.BytesIO(body), CT, len(body)):
            for sub in part.media:
                out.append((sub.filename, sub.data))
    else:

        async def main() -> list[Any]:
            result = []
            form = await handler.deserialize_async(AsyncSource(body), CT, len(body))
            async for part in form:
                async for sub in await part.media:
                    result.append((sub.filename, await sub.data))
            return result

        out = asyncio.run(main())
    assert out == [('a.txt', b'AAA'), ('b.txt', b'BBB')]


@FLAVOURS
def test_filename_star_and_secure_filename(flavour: str) -> None:
    headers = {
        'Content-Disposition': (
            'form-data; name="f"; filename="fallback.txt"; filename*=UTF-8\'\'%E2%82%AC%20rates.txt'
        )
    }
    body = build((headers, b'x'), upload('g', '../../etc/passwd', b'y'))
    handler = MultipartFormHandler()
    if flavour == 'wsgi':
        parts = [
            (p.filename, p.secure_filename)
            for p in handler.deserialize(io.BytesIO(body), CT, len(body))
        ]
    else:

        async def main() -> list[Any]:
            form = await handler.deserialize_async(AsyncSource(body), CT, None)
            return [(p.filename, p.secure_filename) async for p in form]

        parts = asyncio.run(main())
    assert parts == [('€ rates.txt', '__rates.txt'), ('../../etc/passwd', '_._.._etc_passwd')]


@pytest.mark.parametrize(
    'disposition',
    ["form-data; name=a; filename*=nope''abc", 'form-data; name=a; filename*=no-quotes'],
)
def test_bad_filename_star(disposition: str) -> None:
    body = build(({'Content-Disposition': disposition}, b'x'))
    for part in MultipartFormHandler().deserialize(io.BytesIO(body), CT, len(body)):
        with pytest.raises(errors.MultipartParseError):
            _ = part.filename


def test_secure_filename_missing_and_max_length() -> None:
    handler = MultipartFormHandler()
    handler.parse_options.max_secure_filename_length = 12
    body = build(field('a', 'x'), upload('b', 'a-very-long-file-name.tar', b'y'))
    parts = list(handler.deserialize(io.BytesIO(body), CT, len(body)))
    # The first part has been left behind; metadata is still available.
    with pytest.raises(errors.MultipartParseError) as info:
        _ = parts[0].secure_filename
    assert info.value.status_code == 400
    assert parts[1].secure_filename == 'a-very-l.tar'
    assert len(parts[1].secure_filename) <= 12


@FLAVOURS
def test_part_streams_and_skipping(flavour: str) -> None:
    big = bytes(range(256)) * 1000
    body = build(upload('a', 'a.bin', big), upload('b', 'b.bin', b'second'), field('c', 'third'))
    handler = MultipartFormHandler()
    if flavour == 'wsgi':
        got = []
        for part in handler.deserialize(io.BytesIO(body), CT, len(body)):
            if part.name == 'a':
                got.append(part.stream.read(10))  # read a little, leave the rest
            elif part.name == 'b':
                sink = io.BytesIO()
                part.stream.pipe(sink)
                got.append(sink.getvalue())
            else:
                got.append(part.stream.read())
    else:

        async def main() -> list[bytes]:
            result = []
            form = await handler.deserialize_async(AsyncSource(body), CT, len(body))
            async for part in form:
                if part.name == 'a':
                    result.append(await part.stream.read(10))
                elif part.name == 'b':
                    result.append(b''.join([chunk async for chunk in part.stream]))
                else:
                    result.append(await part.stream.readall())
            return result

        got = asyncio.run(main())
    assert got == [big[:10], b'second', b'third']


def test_left_behind_part_stream_is_detached() -> None:
    body = build(field('a', 'first'), field('b', 'second'))
    parts = list(MultipartFormHandler().deserialize(io.BytesIO(body), CT, len(body)))
    assert parts[0].stream.read() == b''
    assert parts[0].name == 'a'


def test_form_iterates_once() -> None:
    body = build(field('a', 'x'))
    form = MultipartFormHandler().deserialize(io.BytesIO(body), CT, len(body))
    assert len(list(form)) == 1
    with pytest.raises(errors.MultipartParseError):
        iter(form)


@FLAVOURS
def test_part_without_headers_and_unknown_headers(flavour: str) -> None:
    body = (
        b'--BOUNDARY\r\n\r\nno headers\r\n'
        b'--BOUNDARY\r\nX-Custom: dropped\r\ncontent-disposition: form-data; name="n"\r\n'
        b'\r\nvalue\r\n--BOUNDARY--'
    )
    assert parse(flavour, body) == [
        {'name': None, 'filename': None, 'content_type': 'text/plain', 'data': b'no headers'},
        {'name': 'n', 'filename': None, 'content_type': 'text/plain', 'data': b'value'},
    ]


@FLAVOURS
def test_header_size_limit_counts_the_header_lines_only(flavour: str) -> None:
    lines = b'Content-Disposition: form-data; name="n"'  # 40 bytes, as Falcon counts them
    body = b'--BOUNDARY\r\n' + lines + b'\r\n\r\nvalue\r\n--BOUNDARY--'
    handler = MultipartFormHandler()
    handler.parse_options.max_body_part_headers_size = len(lines)
    assert parse(flavour, body, handler=handler)[0]['data'] == b'value'
    handler.parse_options.max_body_part_headers_size = len(lines) - 1
    assert parse_error(flavour, body, handler=handler).description == (
        'incomplete body part headers'
    )


@FLAVOURS
def test_lines_that_are_not_header_fields_are_ignored(flavour: str) -> None:
    # As in Falcon (RFC 7578 section 4.8): a junk line or one without ": " is not a header field.
    body = (
        b'--BOUNDARY\r\nJunk\r\nContent-Disposition:form-data; name="x"\r\n: no name\r\n'
        b'Content-Disposition: form-data; name="n"\r\n\r\nvalue\r\n--BOUNDARY--'
    )
    assert parse(flavour, body) == [
        {'name': 'n', 'filename': None, 'content_type': 'text/plain', 'data': b'value'},
    ]


@FLAVOURS
def test_binary_transfer_encoding_only(flavour: str) -> None:
    ok = build(field('a', 'x', **{'Content-Transfer-Encoding': 'binary'}))
    assert parse(flavour, ok)[0]['data'] == b'x'
    bad = build(field('a', 'eA==', **{'Content-Transfer-Encoding': 'base64'}))
    assert parse_error(flavour, bad).description == (
        'the deprecated Content-Transfer-Encoding header field is unsupported'
    )


@FLAVOURS
def test_empty_form(flavour: str) -> None:
    assert parse(flavour, b'--BOUNDARY--\r\n') == []


@FLAVOURS
def test_boundary_quoted_and_trailing_space(flavour: str) -> None:
    body = build(field('a', 'x'), boundary='a b')
    assert parse(flavour, body, content_type='multipart/form-data; boundary="a b"')[0]['data']


@FLAVOURS
@pytest.mark.parametrize(
    'content_type',
    [
        'multipart/form-data',
        'multipart/form-data; boundary=',
        'multipart/form-data; boundary=' + 'x' * 71,
        'multipart/form-data; boundary="bö"',
    ],
)
def test_bad_boundary_is_invalid_header(flavour: str, content_type: str) -> None:
    err = parse_error(flavour, build(field('a', 'x')), content_type=content_type)
    assert isinstance(err, errors.HTTPInvalidHeader)
    assert 'Content-Type' in err.description


def test_missing_boundary_message() -> None:
    with pytest.raises(errors.HTTPInvalidHeader) as info:
        MultipartFormHandler().deserialize(io.BytesIO(b''), 'multipart/form-data', 0)
    assert 'No boundary specifier found in' in info.value.description


@FLAVOURS
@pytest.mark.parametrize(
    'body',
    [
        b'',
        b'no delimiter at all',
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated',
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--BOUNDARY',
        b'--BOUNDARYgarbage\r\n\r\nx\r\n--BOUNDARY--',
        b'--BOUNDARY\r\n\r\nx\r\n--BOUNDARYxx',
    ],
)
def test_unexpected_structure(flavour: str, body: bytes) -> None:
    err = parse_error(flavour, body)
    assert isinstance(err, errors.MultipartParseError)
    assert err.description == 'unexpected form structure'


@FLAVOURS
def test_incomplete_or_oversized_headers(flavour: str) -> None:
    cut = b'--BOUNDARY\r\nContent-Disposition: form-data; name="a"'
    assert parse_error(flavour, cut).description == 'incomplete body part headers'
    huge = build(field('a', 'x', **{'X-Big': 'y' * 9000}))
    assert parse_error(flavour, huge).description == 'incomplete body part headers'

    handler = MultipartFormHandler()
    handler.parse_options.max_body_part_headers_size = 20000
    assert parse(flavour, huge, handler=handler)[0]['data'] == b'x'


@FLAVOURS
@pytest.mark.parametrize(
    'header_line',
    [
        b'Content-Disposition: form-data; name="a\x00"',
        b'Content-Disposition: form-data; name="a\rX-Injected: 1"',
        b'Content-Disposition: form-data; name="a\nX: 1"',
        b'Junk\x00',
    ],
)
def test_bad_header_lines(flavour: str, header_line: bytes) -> None:
    body = b'--BOUNDARY\r\n' + header_line + b'\r\n\r\nx\r\n--BOUNDARY--'
    err = parse_error(flavour, body)
    assert isinstance(err, errors.MultipartParseError)
    assert err.description.startswith('invalid body part header line')


@FLAVOURS
def test_crlf_in_filename_cannot_inject_headers(flavour: str) -> None:
    # A CRLF inside a quoted value splits the line: the tail becomes its own (dropped) header
    # and the quoted string is cut, so nothing from it reaches content_type.
    body = (
        b'--BOUNDARY\r\nContent-Disposition: form-data; name="f"; filename="a.txt\r\n'
        b'Content-Type: text/html\r\nContent-Disposition: form-data; name="g"\r\n\r\nx\r\n'
        b'--BOUNDARY--'
    )
    parts = parse(flavour, body)
    assert parts[0]['content_type'] == 'text/html'  # a real header line, not an injection
    assert parts[0]['name'] == 'g'  # the later Content-Disposition replaced the first


@FLAVOURS
def test_part_count_limit(flavour: str) -> None:
    body = build(*[field(f'f{i}', 'x') for i in range(65)])
    err = parse_error(flavour, body)
    assert err.description == 'maximum number of form body parts exceeded'

    exactly = build(*[field(f'f{i}', 'x') for i in range(64)])
    assert len(parse(flavour, exactly)) == 64

    handler = MultipartFormHandler()
    handler.parse_options.max_body_part_count = 0  # unlimited
    assert len(parse(flavour, body, handler=handler)) == 65


@FLAVOURS
def test_part_buffer_limit(flavour: str) -> None:
    handler = MultipartFormHandler()
    handler.parse_options.max_body_part_buffer_size = 10
    assert parse(flavour, build(field('a', 'x' * 10)), handler=handler)[0]['data'] == b'x' * 10
    err = parse_error(flavour, build(field('a', 'x' * 11)), handler=handler)
    assert err.description == 'body part is too large'
    # Streaming a large part is still fine.
    body = build(upload('a', 'a.bin', b'x' * 1000))
    if flavour == 'wsgi':
        for part in handler.deserialize(io.BytesIO(body), CT, len(body)):
            assert len(part.stream.read()) == 1000


def test_parse_options_defaults_and_slots() -> None:
    options = MultipartParseOptions()
    assert options.default_charset == 'utf-8'
    assert options.max_body_part_count == 64
    assert options.max_body_part_buffer_size == 1024 * 1024
    assert options.max_body_part_headers_size == 8192
    assert options.max_secure_filename_length is None
    assert isinstance(options.media_handlers, Handlers)
    with pytest.raises(AttributeError):
        options.unknown = 1  # type: ignore[attr-defined]
    own = MultipartParseOptions()
    assert MultipartFormHandler(own).parse_options is own


def test_module_names() -> None:
    assert multipart.MultipartParseError is errors.MultipartParseError
    assert set(multipart.__all__) == {
        'BodyPart',
        'MultipartForm',
        'MultipartFormHandler',
        'MultipartParseError',
        'MultipartParseOptions',
    }
    assert set(asgi_multipart.__all__) == {'BodyPart', 'MultipartForm'}
