"""Request bodies: get_media caching and errors, size limits, streams (WSGI and ASGI)."""

from __future__ import annotations

import io
import json
from typing import Any

from _reqresp import get_media, make_request, run
import pytest

import lanner
from lanner import errors
import lanner.asgi
from lanner.media import BaseHandler


def _json_req(asgi: bool, body: bytes, **kwargs: Any) -> Any:
    headers = kwargs.pop('headers', {'Content-Type': 'application/json'})
    return make_request(asgi, 'POST', headers=headers, body=body, **kwargs)


def test_get_media_json_and_cache(asgi: bool) -> None:
    req = _json_req(asgi, b'{"a": [1, 2]}')
    first = get_media(req)
    assert first == {'a': [1, 2]}
    assert get_media(req) is first
    assert run(req.media) is first


def test_get_media_missing_content_type_uses_default(asgi: bool) -> None:
    req = _json_req(asgi, b'[1]', headers={})
    assert get_media(req) == [1]
    wildcard = _json_req(asgi, b'[2]', headers={'Content-Type': '*/*'})
    assert get_media(wildcard) == [2]


def test_get_media_content_type_with_params(asgi: bool) -> None:
    req = _json_req(asgi, b'{}', headers={'Content-Type': 'application/json; charset=utf-8'})
    assert get_media(req) == {}


def test_json_null_is_cached_as_none(asgi: bool) -> None:
    req = _json_req(asgi, b'null')
    assert get_media(req) is None
    assert get_media(req, default_when_empty='x') is None


def test_empty_body_raises_media_not_found_and_default_short_circuits(asgi: bool) -> None:
    req = _json_req(asgi, b'')
    with pytest.raises(errors.MediaNotFoundError) as info:
        get_media(req)
    assert info.value.status_code == 400
    assert info.value.title == 'Invalid JSON'
    assert info.value.description == 'Could not parse an empty JSON body'
    # The error is cached and re-raised...
    with pytest.raises(errors.MediaNotFoundError) as again:
        get_media(req)
    assert again.value is info.value
    # ...except that default_when_empty still short-circuits it (and is not cached).
    assert get_media(req, default_when_empty={}) == {}
    with pytest.raises(errors.MediaNotFoundError):
        get_media(req)


def test_default_when_empty_first_call(asgi: bool) -> None:
    req = _json_req(asgi, b'')
    assert get_media(req, default_when_empty=None) is None
    assert get_media(req, default_when_empty=[]) == []


def test_malformed_json_is_400_and_cached(asgi: bool) -> None:
    req = _json_req(asgi, b'{"a": ')
    with pytest.raises(errors.MediaMalformedError) as info:
        get_media(req)
    assert info.value.status_code == 400
    assert info.value.description.startswith('Could not parse JSON body')
    with pytest.raises(errors.MediaMalformedError) as again:
        get_media(req, default_when_empty={})
    assert again.value is info.value


def test_invalid_utf8_json_is_400(asgi: bool) -> None:
    req = _json_req(asgi, b'"\xff\xfe"')
    with pytest.raises(errors.MediaMalformedError):
        get_media(req)


@pytest.mark.parametrize('content_type', ['application/vnd.something', 'invalid', 'text/plain'])
def test_unsupported_media_type_is_415(asgi: bool, content_type: str) -> None:
    req = _json_req(asgi, b'{}', headers={'Content-Type': content_type})
    with pytest.raises(errors.HTTPUnsupportedMediaType) as info:
        get_media(req)
    assert info.value.status_code == 415
    assert info.value.description == f'{content_type} is an unsupported media type.'


def test_urlencoded_form_media(asgi: bool) -> None:
    req = _json_req(
        asgi, b'a=1&b=x+y&a=2', headers={'Content-Type': 'application/x-www-form-urlencoded'}
    )
    assert get_media(req) == {'a': ['1', '2'], 'b': 'x y'}


def test_body_limited_to_content_length_wsgi() -> None:
    env_body = b'{"a": 1}GARBAGE'
    req = make_request(
        False, 'POST', headers={'Content-Length': '8'}, body=env_body, content_length=False
    )
    assert get_media(req) == {'a': 1}


def test_body_limited_to_content_length_asgi() -> None:
    req = make_request(
        True, 'POST', headers={'Content-Length': '8'}, body=b'{"a": 1}GARBAGE', chunk_size=3
    )
    assert get_media(req) == {'a': 1}


def test_asgi_body_without_content_length_read_to_end() -> None:
    req = make_request(True, 'POST', body=b'{"k": "v"}', chunk_size=2, content_length=False)
    assert req.content_length is None
    assert get_media(req) == {'k': 'v'}


def test_wsgi_body_without_content_length_is_empty() -> None:
    req = make_request(False, 'POST', body=b'{"k": 1}', content_length=False)
    assert get_media(req, default_when_empty='empty') == 'empty'


# -- max_body_size ----------------------------------------------------------------------------


def test_max_body_size_default() -> None:
    assert lanner.RequestOptions().max_body_size == 4 * 1024 * 1024


def test_max_body_size_rejects_declared_length(asgi: bool) -> None:
    options = lanner.RequestOptions()
    options.max_body_size = 10
    req = _json_req(asgi, b'[' + b'1,' * 10 + b'1]', options=options)
    with pytest.raises(errors.HTTPContentTooLarge) as info:
        get_media(req)
    assert info.value.status_code == 413
    assert 'at most 10 bytes' in info.value.description


def test_max_body_size_per_call_and_disabled(asgi: bool) -> None:
    options = lanner.RequestOptions()
    options.max_body_size = 2
    body = b'[1, 2, 3]'
    req = _json_req(asgi, body, options=options)
    assert get_media(req, max_size=100) == [1, 2, 3]
    req2 = _json_req(asgi, body, options=options)
    with pytest.raises(errors.HTTPContentTooLarge):
        get_media(req2, max_size=5)
    options.max_body_size = None
    assert get_media(_json_req(asgi, body, options=options)) == [1, 2, 3]


def test_max_body_size_enforced_without_content_length_asgi() -> None:
    options = lanner.RequestOptions()
    options.max_body_size = 16
    req = make_request(
        True,
        'POST',
        headers={'Content-Type': 'application/json'},
        body=b'[' + b'0,' * 100 + b'0]',
        chunk_size=4,
        content_length=False,
        options=options,
    )
    with pytest.raises(errors.HTTPContentTooLarge) as info:
        get_media(req)
    assert 'limit of 16 bytes' in info.value.description


def test_max_body_size_exact_limit_is_accepted(asgi: bool) -> None:
    options = lanner.RequestOptions()
    options.max_body_size = 5
    assert get_media(_json_req(asgi, b'[1,2]', options=options)) == [1, 2]


def test_max_body_size_default_does_not_cap_streamed_multipart(asgi: bool) -> None:
    # Multipart forms are parsed chunk by chunk (memory stays bounded by the part limits), so
    # uploads larger than options.max_body_size are accepted, as in Falcon.
    options = lanner.RequestOptions()
    options.max_body_size = 64
    payload = b'x' * 1000
    body = (
        b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'
        + payload
        + b'\r\n--B--\r\n'
    )
    headers = {'Content-Type': 'multipart/form-data; boundary=B'}

    def read_parts(req: Any) -> list[bytes]:
        form = get_media(req)
        if asgi:

            async def collect() -> list[bytes]:
                return [await part.get_data() async for part in form]

            return run(collect())
        return [part.get_data() for part in form]

    req = make_request(asgi, 'POST', headers=headers, body=body, options=options)
    assert read_parts(req) == [payload]
    # A limit given for the call (or the route) still applies to it.
    capped = make_request(asgi, 'POST', headers=headers, body=body, options=options)
    with pytest.raises(errors.HTTPContentTooLarge):
        get_media(capped, max_size=100)
    routed = make_request(asgi, 'POST', headers=headers, body=body, options=options)
    routed.max_body_size = 100
    with pytest.raises(errors.HTTPContentTooLarge):
        get_media(routed)


# -- custom handlers --------------------------------------------------------------------------


class _StreamingHandler(BaseHandler):
    """A handler without fast paths that reads only part of the body."""

    exhaust_stream = True

    def deserialize(self, stream: Any, content_type: str | None, content_length: int | None) -> Any:
        return {'head': stream.read(2), 'type': content_type, 'length': content_length}

    async def deserialize_async(
        self, stream: Any, content_type: str | None, content_length: int | None
    ) -> Any:
        return {'head': await stream.read(2), 'type': content_type, 'length': content_length}


def test_custom_handler_and_exhaust_stream(asgi: bool) -> None:
    options = lanner.RequestOptions()
    options.media_handlers['application/x-part'] = _StreamingHandler()
    req = _json_req(
        asgi, b'abcdef', headers={'Content-Type': 'application/x-part'}, options=options
    )
    media = get_media(req)
    assert media == {'head': b'ab', 'type': 'application/x-part', 'length': 6}
    stream = req.bounded_stream
    assert stream.eof


class _BoomHandler(BaseHandler):
    def deserialize(self, stream: Any, content_type: str | None, content_length: int | None) -> Any:
        raise RuntimeError('boom')

    async def deserialize_async(self, stream: Any, content_type: Any, content_length: Any) -> Any:
        raise RuntimeError('boom')


def test_handler_exception_is_cached(asgi: bool) -> None:
    options = lanner.RequestOptions()
    options.media_handlers['application/x-boom'] = _BoomHandler()
    req = _json_req(asgi, b'x', headers={'Content-Type': 'application/x-boom'}, options=options)
    with pytest.raises(RuntimeError) as first:
        get_media(req)
    with pytest.raises(RuntimeError) as second:
        get_media(req)
    assert first.value is second.value


# -- streams on the request --------------------------------------------------------------------


def test_wsgi_stream_and_bounded_stream() -> None:
    req = make_request(False, 'POST', body=b'hello world', headers={'Content-Length': '5'})
    assert req.stream is req.env['wsgi.input']
    assert isinstance(req.bounded_stream, lanner.BoundedStream)
    assert req.bounded_stream is req.bounded_stream
    assert req.bounded_stream.read() == b'hello'
    assert req.bounded_stream.read() == b''


def test_wsgi_bounded_stream_with_invalid_length_is_empty() -> None:
    req = make_request(False, 'POST', body=b'hello', headers={'Content-Length': 'nope'})
    assert req.bounded_stream.read() == b''


def test_wsgi_stream_is_assignable() -> None:
    req = make_request(False, 'POST', body=b'xx', headers={'Content-Length': '3'})
    req.stream = io.BytesIO(b'new')
    assert req.bounded_stream.read() == b'new'


def test_asgi_stream_is_bounded_stream_alias() -> None:
    req = make_request(True, 'POST', body=b'abc')
    assert isinstance(req.stream, lanner.asgi.BoundedStream)
    assert req.bounded_stream is req.stream
    assert run(req.stream.read()) == b'abc'


def test_asgi_stream_invalid_content_length_reads_to_end() -> None:
    req = make_request(True, 'POST', body=b'abcdef', headers={'Content-Length': 'x'}, chunk_size=2)
    assert run(req.stream.read()) == b'abcdef'


def test_asgi_websocket_request_has_no_stream() -> None:
    req = make_request(True, scope_type='websocket')
    with pytest.raises(errors.UnsupportedError):
        req.stream  # noqa: B018


def test_asgi_media_is_awaitable_only() -> None:
    req = _json_req(True, json.dumps({'x': 1}).encode())
    awaitable = req.media
    assert hasattr(awaitable, '__await__')
    assert run(awaitable) == {'x': 1}


def test_nothing_is_parsed_until_asked(asgi: bool) -> None:
    req = make_request(
        asgi,
        query_string='a=1',
        headers={'Cookie': 'a=b', 'Date': 'garbage', 'Content-Length': 'garbage'},
    )
    # Building the request parsed none of the (partly invalid) headers.
    assert not {'params', 'cookies', 'date', 'content_length', 'headers'} & set(req.__dict__)


def test_route_level_max_body_size_override(asgi: bool) -> None:
    options = lanner.RequestOptions()
    options.max_body_size = 4
    req = _json_req(asgi, b'[1, 2, 3]', options=options)
    assert req.max_body_size == 4
    req.max_body_size = 100
    assert req.max_body_size == 100
    assert get_media(req) == [1, 2, 3]
    # A per-call limit beats the route limit.
    req2 = _json_req(asgi, b'[1, 2, 3]', options=options)
    req2.max_body_size = None
    with pytest.raises(errors.HTTPContentTooLarge):
        get_media(req2, max_size=3)


@pytest.mark.parametrize('value', [-1, 1.5, '10', True])
def test_invalid_body_limits_are_rejected(asgi: bool, value: Any) -> None:
    options = lanner.RequestOptions()
    with pytest.raises(ValueError, match='max_body_size'):
        options.max_body_size = value
    req = _json_req(asgi, b'[]')
    with pytest.raises(ValueError, match='max_body_size'):
        req.max_body_size = value
    with pytest.raises(ValueError, match='max_size'):
        get_media(req, max_size=value)


def test_media_decorator_sets_route_limit(asgi: bool, make_app: Any) -> None:
    from support.harness import Client

    limit = lanner.media.max_body_size(1000)

    class Resource:
        if asgi:

            @limit
            async def on_post(self, req: Any, resp: Any) -> None:
                resp.media = {'n': len(await req.get_media())}

        else:

            @limit
            def on_post(self, req: Any, resp: Any) -> None:
                resp.media = {'n': len(req.get_media())}

    app = make_app()
    app.req_options.max_body_size = 10
    app.add_route('/up', Resource())
    result = Client(app).post('/up', json=list(range(100)))
    assert result.status_code == 200
    assert result.json == {'n': 100}


def test_asgi_limit_counts_the_first_event() -> None:
    options = lanner.RequestOptions()
    options.max_body_size = 8
    # One event, no Content-Length: the whole body arrives with the App's first receive().
    req = make_request(
        True,
        'POST',
        headers={'Content-Type': 'application/json'},
        body=b'[1, 2, 3, 4, 5, 6]',
        content_length=False,
        options=options,
    )
    with pytest.raises(errors.HTTPContentTooLarge):
        get_media(req)
