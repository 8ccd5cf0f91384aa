"""Media handling through a whole App, on WSGI and ASGI (the ``asgi`` fixture)."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import msgpack
import pytest
from support.harness import Client, build_scope, call_asgi_async, new_app, resource

import lanner
from lanner.media import BaseHandler, Handlers, JSONHandler, MessagePackHandler, max_body_size


async def _aget_media(req: Any, **kwargs: Any) -> Any:
    return await req.get_media(**kwargs)


def get_media(asgi: bool, req: Any, **kwargs: Any) -> Any:
    """Return the media (WSGI) or an awaitable of it (ASGI); responders await as needed."""
    return _aget_media(req, **kwargs) if asgi else req.get_media(**kwargs)


def echo_resource(asgi: bool, **get_media_kwargs: Any) -> object:
    if asgi:

        async def on_post(req: Any, resp: Any) -> None:
            resp.media = {'media': await req.get_media(**get_media_kwargs)}

    else:

        def on_post(req: Any, resp: Any) -> None:  # type: ignore[misc]
            resp.media = {'media': req.get_media(**get_media_kwargs)}

    return resource(asgi, on_post=on_post)


def make_client(make_app: Any, asgi: bool, route: object | None = None, **kw: Any) -> Client:
    app = make_app(**kw)
    app.add_route('/echo', route or echo_resource(asgi))
    return Client(app)


def test_json_round_trip(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    result = client.post('/echo', json={'name': 'Zoë', 'n': [1, 2]})
    assert result.status_code == 200
    assert result.headers['content-type'] == 'application/json'
    assert result.json == {'media': {'name': 'Zoë', 'n': [1, 2]}}


def test_json_with_charset_parameter(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    result = client.post(
        '/echo', body=b'[1]', headers={'Content-Type': 'application/json; charset=UTF-8'}
    )
    assert result.json == {'media': [1]}


def test_missing_content_type_uses_default(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    assert client.post('/echo', body=b'{"a": 1}').json == {'media': {'a': 1}}


def test_json_null_body(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    assert client.post('/echo', json=None, body=b'null').json == {'media': None}


def test_empty_body_errors_and_default(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    result = client.post('/echo', headers={'Content-Type': 'application/json'})
    assert result.status_code == 400
    assert result.json == {
        'title': 'Invalid JSON',
        'description': 'Could not parse an empty JSON body',
    }
    with_default = make_client(make_app, asgi, echo_resource(asgi, default_when_empty={'d': 1}))
    assert with_default.post('/echo').json == {'media': {'d': 1}}


def test_malformed_json_is_400(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    result = client.post('/echo', body=b'{"a": ', headers={'Content-Type': 'application/json'})
    assert result.status_code == 400
    assert result.json['title'] == 'Invalid JSON'
    assert result.json['description'].startswith('Could not parse JSON body - ')


def test_unsupported_media_type_is_415(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    result = client.post('/echo', body=b'a,b', headers={'Content-Type': 'text/csv'})
    assert result.status_code == 415
    assert result.json['description'] == 'text/csv is an unsupported media type.'


def test_result_and_error_are_cached(make_app: Any, asgi: bool) -> None:
    seen: list[Any] = []

    if asgi:

        async def on_post(req: Any, resp: Any) -> None:
            first = await req.get_media()
            second = await req.media
            seen.append(first is second)
            resp.media = first

        async def on_put(req: Any, resp: Any) -> None:
            errors_seen = []
            for _ in range(2):
                try:
                    await req.get_media()
                except lanner.MediaMalformedError as err:
                    errors_seen.append(err)
            seen.append(errors_seen[0] is errors_seen[1])
            resp.media = 'ok'

    else:

        def on_post(req: Any, resp: Any) -> None:  # type: ignore[misc]
            first = req.get_media()
            seen.append(first is req.media)
            resp.media = first

        def on_put(req: Any, resp: Any) -> None:  # type: ignore[misc]
            errors_seen = []
            for _ in range(2):
                try:
                    req.get_media()
                except lanner.MediaMalformedError as err:
                    errors_seen.append(err)
            seen.append(errors_seen[0] is errors_seen[1])
            resp.media = 'ok'

    client = make_client(make_app, asgi, resource(asgi, on_post=on_post, on_put=on_put))
    assert client.post('/echo', json={'a': [1]}).json == {'a': [1]}
    assert client.put('/echo', body=b'{', headers={'Content-Type': 'application/json'}).json == (
        'ok'
    )
    assert seen == [True, True]


def test_msgpack_request_and_response(make_app: Any, asgi: bool) -> None:
    app = make_app()
    handler = MessagePackHandler()
    app.req_options.media_handlers['application/msgpack'] = handler
    app.resp_options.media_handlers['application/msgpack'] = handler

    if asgi:

        async def on_post(req: Any, resp: Any) -> None:
            resp.content_type = 'application/msgpack'
            resp.media = {'echo': await req.get_media()}

    else:

        def on_post(req: Any, resp: Any) -> None:  # type: ignore[misc]
            resp.content_type = 'application/msgpack'
            resp.media = {'echo': req.get_media()}

    app.add_route('/echo', resource(asgi, on_post=on_post))
    body = msgpack.packb({'blob': b'\x00\x01', 'text': 'ü'}, use_bin_type=True)
    result = Client(app).post('/echo', body=body, headers={'Content-Type': 'application/msgpack'})
    assert result.status_code == 200
    assert result.headers['content-type'] == 'application/msgpack'
    assert msgpack.unpackb(result.content, raw=False) == {
        'echo': {'blob': b'\x00\x01', 'text': 'ü'}
    }

    bad = Client(app).post('/echo', body=b'\xc1', headers={'Content-Type': 'application/msgpack'})
    assert bad.status_code == 400
    assert bad.json['title'] == 'Invalid MessagePack'


def test_urlencoded_form(make_app: Any, asgi: bool) -> None:
    client = make_client(make_app, asgi)
    result = client.post(
        '/echo',
        body=b'a=1&a=2&b=x+y&c=',
        headers={'Content-Type': 'application/x-www-form-urlencoded'},
    )
    assert result.json == {'media': {'a': ['1', '2'], 'b': 'x y', 'c': ''}}
    empty = client.post('/echo', headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert empty.json == {'media': {}}
    fields = b'&'.join(b'k%d=v' % i for i in range(2000))
    too_many = client.post(
        '/echo', body=fields, headers={'Content-Type': 'application/x-www-form-urlencoded'}
    )
    assert too_many.status_code == 400
    assert too_many.json['title'] == 'Invalid URL-encoded'


def _multipart_body() -> bytes:
    return (
        b'--XX\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="doc"\r\n'
        b'Content-Type: application/json\r\n\r\n{"k": true}\r\n'
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="../../x.bin"\r\n'
        b'Content-Type: application/octet-stream\r\n\r\n' + bytes(range(256)) * 64 + b'\r\n'
        b'--XX--\r\n'
    )


def test_multipart_form(make_app: Any, asgi: bool) -> None:
    if asgi:

        async def on_post(req: Any, resp: Any) -> None:
            out = []
            async for part in await req.get_media():
                if part.filename:
                    sink = io.BytesIO()
                    await part.stream.pipe(sink)
                    out.append([part.name, part.secure_filename, len(sink.getvalue())])
                elif part.content_type == 'application/json':
                    out.append([part.name, await part.media])
                else:
                    out.append([part.name, await part.text])
            resp.media = out

    else:

        def on_post(req: Any, resp: Any) -> None:  # type: ignore[misc]
            out = []
            for part in req.get_media():
                if part.filename:
                    sink = io.BytesIO()
                    part.stream.pipe(sink)
                    out.append([part.name, part.secure_filename, len(sink.getvalue())])
                elif part.content_type == 'application/json':
                    out.append([part.name, part.media])
                else:
                    out.append([part.name, part.text])
            resp.media = out

    client = make_client(make_app, asgi, resource(asgi, on_post=on_post))
    result = client.post(
        '/echo',
        body=_multipart_body(),
        headers={'Content-Type': 'multipart/form-data; boundary=XX'},
        chunk_size=1000,
    )
    assert result.status_code == 200, result.content
    assert result.json == [
        ['field', 'value'],
        ['doc', {'k': True}],
        ['file', '_._.._x.bin', 256 * 64],
    ]


def test_multipart_errors_map_to_400(make_app: Any, asgi: bool) -> None:
    if asgi:

        async def on_post(req: Any, resp: Any) -> None:
            resp.media = [part.name async for part in await req.get_media()]

    else:

        def on_post(req: Any, resp: Any) -> None:  # type: ignore[misc]
            resp.media = [part.name for part in req.get_media()]

    client = make_client(make_app, asgi, resource(asgi, on_post=on_post))
    no_boundary = client.post(
        '/echo', body=b'--XX--', headers={'Content-Type': 'multipart/form-data'}
    )
    assert no_boundary.status_code == 400
    assert no_boundary.json['title'] == 'Invalid header value'

    broken = client.post(
        '/echo',
        body=b'--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nunterminated',
        headers={'Content-Type': 'multipart/form-data; boundary=XX'},
    )
    assert broken.status_code == 400
    assert broken.json == {
        'title': 'Malformed multipart/form-data request media',
        'description': 'unexpected form structure',
    }
    many = b''.join(
        b'--XX\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n' for _ in range(100)
    )
    too_many = client.post(
        '/echo', body=many + b'--XX--', headers={'Content-Type': 'multipart/form-data; boundary=XX'}
    )
    assert too_many.status_code == 400
    assert too_many.json['description'] == 'maximum number of form body parts exceeded'


class CSVHandler(BaseHandler):
    def serialize(self, media: Any, content_type: str) -> bytes:
        return '\n'.join(','.join(map(str, row)) for row in media).encode()

    def deserialize(self, stream: Any, content_type: Any, content_length: Any) -> Any:
        return [line.split(',') for line in stream.read().decode().splitlines()]


def test_custom_handler_both_directions(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.req_options.media_handlers['text/csv'] = CSVHandler()
    app.resp_options.media_handlers['text/csv'] = CSVHandler()

    if asgi:

        async def on_post(req: Any, resp: Any) -> None:
            rows = await req.get_media()
            resp.content_type = 'text/csv'
            resp.media = [[cell.upper() for cell in row] for row in rows]

    else:

        def on_post(req: Any, resp: Any) -> None:  # type: ignore[misc]
            rows = req.get_media()
            resp.content_type = 'text/csv'
            resp.media = [[cell.upper() for cell in row] for row in rows]

    app.add_route('/csv', resource(asgi, on_post=on_post))
    result = Client(app).post('/csv', body=b'a,b\nc,d', headers={'Content-Type': 'text/csv'})
    assert result.status_code == 200
    assert result.content == b'A,B\nC,D'
    assert result.headers['content-type'] == 'text/csv'


def test_custom_json_engine(make_app: Any, asgi: bool) -> None:
    app = make_app()
    stdlib = JSONHandler(dumps=json.dumps, loads=json.loads)
    app.req_options.media_handlers = Handlers({'application/json': stdlib})
    app.resp_options.media_handlers = Handlers({'application/json': stdlib})
    app.add_route('/echo', echo_resource(asgi))
    result = Client(app).post('/echo', body=b'[123456789012345678901234567890]')
    # Spaced stdlib output and exact big integers prove the custom engine is in use.
    assert result.content == b'{"media": [123456789012345678901234567890]}'


def test_response_media_unknown_type_is_415_empty_body(make_app: Any, asgi: bool) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.content_type = 'application/vnd.unknown'
        resp.media = {'a': 1}

    app = make_app()
    app.add_route('/r', resource(asgi, on_get=on_get))
    result = Client(app).get('/r')
    assert result.status_code == 415
    assert result.content == b''


# ------------------------------------------------------------------------------------------
# Body size limits (lanner addition)
# ------------------------------------------------------------------------------------------


def test_declared_length_over_limit_is_413(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.req_options.max_body_size = 100
    app.add_route('/echo', echo_resource(asgi))
    client = Client(app)
    assert client.post('/echo', json={'a': 'x' * 50}).status_code == 200
    result = client.post('/echo', json={'a': 'x' * 200})
    assert result.status_code == 413
    assert '100' in result.json['description']


def test_default_limit_is_4_mib(make_app: Any, asgi: bool) -> None:
    app = make_app()
    assert app.req_options.max_body_size == lanner.media.DEFAULT_MAX_BODY_SIZE == 4 * 1024 * 1024
    app.add_route('/echo', echo_resource(asgi))
    body = b'"' + b'x' * (4 * 1024 * 1024) + b'"'
    assert Client(app).post('/echo', body=body).status_code == 413


def test_limit_none_disables(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.req_options.max_body_size = None
    app.add_route('/echo', echo_resource(asgi))
    body = b'"' + b'x' * (5 * 1024 * 1024) + b'"'
    result = Client(app).post('/echo', body=body)
    assert result.status_code == 200
    assert len(result.json['media']) == 5 * 1024 * 1024


def test_per_call_override(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.req_options.max_body_size = 10
    app.add_route('/echo', echo_resource(asgi, max_size=1000))
    assert Client(app).post('/echo', json={'a': 'x' * 100}).status_code == 200
    assert Client(app).post('/echo', json={'a': 'x' * 1000}).status_code == 413


def test_chunked_asgi_body_over_limit_is_413() -> None:
    app = new_app(asgi=True)
    app.req_options.max_body_size = 1000
    app.add_route('/echo', echo_resource(True))
    scope = build_scope('POST', '/echo', headers={'content-type': 'application/json'})
    body = b'"' + b'x' * 5000 + b'"'
    # No content-length header: the body arrives in 100-byte events.
    result = asyncio.run(call_asgi_async(app, scope, body, chunk_size=100))
    assert result.status_code == 413
    small = b'"' + b'x' * 500 + b'"'
    result = asyncio.run(call_asgi_async(app, dict(scope), small, chunk_size=100))
    assert result.status_code == 200
    assert result.json == {'media': 'x' * 500}


def test_chunked_asgi_multipart_over_limit_is_413() -> None:
    app = new_app(asgi=True)

    async def on_post(req: Any, resp: Any) -> None:
        # A route limit (not options.max_body_size, which streamed multipart forms are not
        # held to).
        req.max_body_size = 10_000
        sizes = []
        async for part in await req.get_media():
            sizes.append(len(await part.stream.read()))
        resp.media = sizes

    app.add_route('/up', resource(True, on_post=on_post))
    scope = build_scope('POST', '/up', headers={'content-type': 'multipart/form-data; boundary=XX'})
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'
        + b'x' * 50_000
        + b'\r\n--XX--\r\n'
    )
    result = asyncio.run(call_asgi_async(app, scope, body, chunk_size=4096))
    assert result.status_code == 413


def test_max_body_size_decorator_validates() -> None:
    with pytest.raises(ValueError, match='max_body_size'):
        max_body_size(-1)
    with pytest.raises(ValueError):
        max_body_size('big')  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        max_body_size(True)  # type: ignore[arg-type]


def test_max_body_size_decorator_sets_request_attribute() -> None:
    class Req:
        max_body_size: int | None = 5

    class Thing:
        @max_body_size(123)
        def on_post(self, req: Any, resp: Any) -> int | None:
            return req.max_body_size  # type: ignore[no-any-return]

        @max_body_size(None)
        async def on_put(self, req: Any, resp: Any) -> int | None:
            return req.max_body_size  # type: ignore[no-any-return]

    assert Thing().on_post(Req(), None) == 123
    assert asyncio.run(Thing().on_put(Req(), None)) is None
    assert Thing.on_post.__name__ == 'on_post'


def test_per_route_override(make_app: Any, asgi: bool) -> None:
    class Upload:
        if asgi:

            @max_body_size(1000)
            async def on_post(self, req: Any, resp: Any) -> None:
                resp.media = await req.get_media()

        else:

            @max_body_size(1000)
            def on_post(self, req: Any, resp: Any) -> None:
                resp.media = req.get_media()

    app = make_app()
    app.req_options.max_body_size = 10
    app.add_route('/up', Upload())
    app.add_route('/echo', echo_resource(asgi))
    client = Client(app)
    assert client.post('/up', json='x' * 100).json == 'x' * 100
    assert client.post('/up', json='x' * 1000).status_code == 413
    # Other routes keep the app-wide limit.
    assert client.post('/echo', json='x' * 100).status_code == 413


def test_per_call_override_beats_route(make_app: Any, asgi: bool) -> None:
    class Upload:
        if asgi:

            @max_body_size(10)
            async def on_post(self, req: Any, resp: Any) -> None:
                resp.media = await req.get_media(max_size=None)

        else:

            @max_body_size(10)
            def on_post(self, req: Any, resp: Any) -> None:
                resp.media = req.get_media(max_size=None)

    app = make_app()
    app.add_route('/up', Upload())
    assert Client(app).post('/up', json='x' * 1000).json == 'x' * 1000
