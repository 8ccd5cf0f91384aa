"""Behaviour of the media handler registry and the built-in handlers (no App needed)."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from typing import Any

import pytest

from lanner import errors
import lanner.media
from lanner.media import (
    BaseHandler,
    BinaryBaseHandlerWS,
    Handlers,
    JSONHandler,
    JSONHandlerWS,
    MessagePackHandler,
    MessagePackHandlerWS,
    MissingDependencyHandler,
    MultipartFormHandler,
    TextBaseHandlerWS,
    URLEncodedFormHandler,
)


class AsyncBytes:
    """Minimal ASGI-like body stream: async read(size=None)."""

    def __init__(self, data: bytes) -> None:
        self._io = io.BytesIO(data)

    async def read(self, size: int | None = None) -> bytes:
        return self._io.read(-1 if size is None else size)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_public_names_pinned() -> None:
    assert sorted(lanner.media.__all__) == sorted(
        [
            'DEFAULT_MAX_BODY_SIZE',
            'BaseHandler',
            'BinaryBaseHandlerWS',
            'Handlers',
            'JSONHandler',
            'JSONHandlerWS',
            'MessagePackHandler',
            'MessagePackHandlerWS',
            'MissingDependencyHandler',
            'MultipartFormHandler',
            'TextBaseHandlerWS',
            'URLEncodedFormHandler',
            'max_body_size',
        ]
    )
    for name in lanner.media.__all__:
        assert getattr(lanner.media, name) is not None


# ------------------------------------------------------------------------------------------
# Handlers registry
# ------------------------------------------------------------------------------------------


def test_default_handlers() -> None:
    handlers = Handlers()
    assert list(handlers) == [
        'application/json',
        'multipart/form-data',
        'application/x-www-form-urlencoded',
    ]
    assert isinstance(handlers['application/json'], JSONHandler)
    assert isinstance(handlers['multipart/form-data'], MultipartFormHandler)
    assert isinstance(handlers['application/x-www-form-urlencoded'], URLEncodedFormHandler)
    # Each registry gets fresh instances.
    assert Handlers()['application/json'] is not handlers['application/json']


def test_initial_mapping_is_used_exactly() -> None:
    handler = JSONHandler()
    handlers = Handlers({'application/vnd.api+json': handler})
    assert dict(handlers) == {'application/vnd.api+json': handler}


def test_resolve_exact_and_fast_paths() -> None:
    handlers = Handlers()
    handler, ser, deser = handlers._resolve('application/json', 'application/json')
    assert handler is handlers['application/json']
    assert ser is not None and deser is not None
    assert ser({'a': 1}) == b'{"a":1}'
    assert deser(b'[1, 2]') == [1, 2]


@pytest.mark.parametrize('missing', [None, '', '*/*'])
def test_resolve_missing_type_uses_default(missing: str | None) -> None:
    handlers = Handlers()
    handler, _, _ = handlers._resolve(missing, 'application/x-www-form-urlencoded')
    assert isinstance(handler, URLEncodedFormHandler)


@pytest.mark.parametrize(
    'content_type',
    [
        'application/json; charset=utf-8',
        'application/json;charset=UTF-8',
        'APPLICATION/JSON',
        'application/*',
    ],
)
def test_resolve_inexact_matches(content_type: str) -> None:
    handlers = Handlers()
    handler, _, _ = handlers._resolve(content_type, 'text/plain')
    assert handler is handlers['application/json']


def test_resolve_parameters_must_not_conflict() -> None:
    json_v1 = JSONHandler()
    handlers = Handlers({'application/json; version=1': json_v1})
    assert handlers._resolve('application/json; version=1', 'x/y')[0] is json_v1
    with pytest.raises(errors.HTTPUnsupportedMediaType):
        handlers._resolve('application/json; version=2', 'x/y')


@pytest.mark.parametrize('content_type', ['text/csv', 'invalid', 'application/vnd.something'])
def test_resolve_unknown_is_415_with_exact_description(content_type: str) -> None:
    handlers = Handlers()
    with pytest.raises(errors.HTTPUnsupportedMediaType) as info:
        handlers._resolve(content_type, 'application/json')
    assert info.value.status_code == 415
    assert info.value.description == f'{content_type} is an unsupported media type.'
    assert handlers._resolve(content_type, 'application/json', raise_not_found=False) == (
        None,
        None,
        None,
    )


def test_resolve_unknown_default_is_415_naming_default() -> None:
    handlers = Handlers({})
    with pytest.raises(errors.HTTPUnsupportedMediaType) as info:
        handlers._resolve(None, 'application/yaml')
    assert info.value.description == 'application/yaml is an unsupported media type.'


def test_handlers_added_after_first_use_are_found() -> None:
    handlers = Handlers()
    with pytest.raises(errors.HTTPUnsupportedMediaType):
        handlers._resolve('application/msgpack', 'application/json')
    msgpack_handler = MessagePackHandler()
    handlers['application/msgpack'] = msgpack_handler
    assert handlers._resolve('application/msgpack', 'application/json')[0] is msgpack_handler

    # update() goes through __setitem__ too.
    other = JSONHandler()
    handlers._resolve('application/json', 'application/json')
    handlers.update({'application/json': other})
    assert handlers._resolve('application/json', 'application/json')[0] is other

    del handlers['application/json']
    with pytest.raises(errors.HTTPUnsupportedMediaType):
        handlers._resolve('application/json', 'application/json')


def test_resolve_cache_is_bounded() -> None:
    handlers = Handlers()
    for i in range(5000):
        handlers._resolve(f'application/x-{i}', 'application/json', raise_not_found=False)
    assert len(handlers._cache) <= 256


def test_non_string_key_rejected() -> None:
    with pytest.raises(TypeError, match='media type strings'):
        Handlers()[42] = JSONHandler()  # type: ignore[index]


def test_copy_is_shallow_and_same_class() -> None:
    class MyHandlers(Handlers):
        pass

    original = MyHandlers()
    copied = original.copy()
    assert type(copied) is MyHandlers
    assert copied is not original
    assert copied['application/json'] is original['application/json']
    copied['text/x'] = JSONHandler()
    assert 'text/x' not in original


def test_copies_do_not_share_the_resolution_cache() -> None:
    import copy

    original = Handlers()
    original._resolve('application/json', 'application/json')
    for duplicate in (copy.copy(original), original.copy()):
        replacement = JSONHandler()
        duplicate['application/json'] = replacement
        assert duplicate._resolve('application/json', 'x/y')[0] is replacement
        assert original._resolve('application/json', 'x/y')[0] is original['application/json']
        assert duplicate._resolve('application/json', 'x/y')[0] is replacement


def test_subclassed_handler_has_no_fast_path() -> None:
    class Loud(JSONHandler):
        def serialize(self, media: object, content_type: str | None = None) -> bytes:
            return b'LOUD' + super().serialize(media, content_type)

    handlers = Handlers({'application/json': Loud()})
    handler, ser, deser = handlers._resolve('application/json', 'application/json')
    assert ser is None and deser is None
    assert handler.serialize({'a': 1}, 'application/json') == b'LOUD{"a":1}'


# ------------------------------------------------------------------------------------------
# BaseHandler and WS bases
# ------------------------------------------------------------------------------------------


def test_base_handler_defaults() -> None:
    handler = BaseHandler()
    # A bare NotImplementedError as in Falcon; the explanation is a note (shown in tracebacks).
    with pytest.raises(NotImplementedError, match='requires the sync interface') as info:
        handler.serialize({}, 'application/json')
    assert info.value.args == () or sys.version_info < (3, 11)
    assert 'BaseHandler' in ' '.join(getattr(info.value, '__notes__', info.value.args))
    with pytest.raises(NotImplementedError) as info:
        handler.serialize({}, 'text/csv')
    assert 'synchronous' not in ' '.join(getattr(info.value, '__notes__', info.value.args))
    with pytest.raises(NotImplementedError, match='synchronous'):
        handler.deserialize(io.BytesIO(b''), 'application/json', 0)
    with pytest.raises(NotImplementedError):
        run(handler.serialize_async({}, 'text/csv'))
    assert handler.exhaust_stream is False
    assert handler._serialize_sync is None and handler._deserialize_sync is None


def test_custom_sync_handler_works_async() -> None:
    class CSV(BaseHandler):
        def serialize(self, media: Any, content_type: str) -> bytes:
            return '\n'.join(','.join(row) for row in media).encode()

        def deserialize(self, stream: Any, content_type: Any, content_length: Any) -> Any:
            data = stream.read()
            return [line.split(',') for line in data.decode().splitlines()], content_length

    handler = CSV()
    rows = [['a', 'b'], ['c', 'd']]
    assert run(handler.serialize_async(rows, 'text/csv')) == b'a,b\nc,d'
    assert run(handler.deserialize_async(AsyncBytes(b'a,b\nc,d'), 'text/csv', None)) == (rows, 7)


def test_async_only_handler() -> None:
    class AsyncOnly(BaseHandler):
        async def serialize_async(self, media: Any, content_type: str) -> bytes:
            return repr(media).encode()

        async def deserialize_async(self, stream: Any, content_type: Any, length: Any) -> Any:
            return (await stream.read()).decode()[::-1]

    handler = AsyncOnly()
    assert run(handler.serialize_async([1], 'x/y')) == b'[1]'
    assert run(handler.deserialize_async(AsyncBytes(b'abc'), 'x/y', 3)) == 'cba'
    with pytest.raises(NotImplementedError):
        handler.serialize([1], 'x/y')


def test_ws_bases_raise() -> None:
    with pytest.raises(NotImplementedError):
        TextBaseHandlerWS().serialize({})
    with pytest.raises(NotImplementedError):
        TextBaseHandlerWS().deserialize('{}')
    with pytest.raises(NotImplementedError):
        BinaryBaseHandlerWS().serialize({})
    with pytest.raises(NotImplementedError):
        BinaryBaseHandlerWS().deserialize(b'')


def test_missing_dependency_handler() -> None:
    handler = MissingDependencyHandler('MessagePackHandlerWS', 'msgpack')
    for call in (
        lambda: handler.serialize({}),
        lambda: handler.deserialize(b'x'),
        lambda: run(handler.serialize_async({}, 'application/msgpack')),
        lambda: run(handler.deserialize_async(AsyncBytes(b''), None, None)),
    ):
        with pytest.raises(RuntimeError, match=r"'msgpack'.*pip install msgpack"):
            call()


# ------------------------------------------------------------------------------------------
# JSON
# ------------------------------------------------------------------------------------------


def test_json_round_trip_sync_and_async() -> None:
    handler = JSONHandler()
    doc = {'name': 'Zoë', 'n': [1, 2.5, None, True], 'nested': {'x': 'ü€'}}
    body = handler.serialize(doc, 'application/json')
    assert body == json.dumps(doc, ensure_ascii=False, separators=(',', ':')).encode()
    assert handler.deserialize(io.BytesIO(body), 'application/json', len(body)) == doc
    assert run(handler.serialize_async(doc, 'application/json')) == body
    assert run(handler.deserialize_async(AsyncBytes(body), 'application/json', None)) == doc


def test_json_null_body_is_none() -> None:
    assert JSONHandler().deserialize(io.BytesIO(b'null'), 'application/json', 4) is None


def test_json_empty_body_is_media_not_found() -> None:
    with pytest.raises(errors.MediaNotFoundError) as info:
        JSONHandler().deserialize(io.BytesIO(b''), 'application/json', 0)
    assert info.value.title == 'Invalid JSON'
    assert info.value.description == 'Could not parse an empty JSON body'


@pytest.mark.parametrize(
    'body',
    [b'{', b'{"a": 1}x', b'\xff\xfe', b'"\xed\xa0\x80"', b'NaN', b'1e400', b'\xef\xbb\xbf{}'],
)
def test_json_malformed_is_400_with_cause(body: bytes) -> None:
    with pytest.raises(errors.MediaMalformedError) as info:
        JSONHandler().deserialize(io.BytesIO(body), 'application/json', len(body))
    assert info.value.status_code == 400
    assert info.value.title == 'Invalid JSON'
    assert info.value.description.startswith('Could not parse JSON body - ')
    assert isinstance(info.value.__cause__, ValueError)


def test_json_malformed_cause_is_the_stdlib_error() -> None:
    with pytest.raises(errors.MediaMalformedError) as info:
        JSONHandler().deserialize(io.BytesIO(b'{'), None, None)
    with pytest.raises(json.JSONDecodeError) as stdlib:
        json.loads('{')
    assert type(info.value.__cause__) is json.JSONDecodeError
    assert str(info.value.__cause__) == str(stdlib.value)


def test_json_big_integers() -> None:
    handler = JSONHandler()
    # Serialization of integers beyond 64 bits falls back to the stdlib: exact digits.
    assert handler.serialize({'n': 2**70}, 'application/json') == b'{"n":1180591620717411303424}'
    # Parsing them stays exact too (as in Falcon), not a float with lost digits.
    parsed = handler.deserialize(io.BytesIO(b'[1180591620717411303424, -1.5, "x"]'), None, None)
    assert parsed == [2**70, -1.5, 'x'] and type(parsed[0]) is int
    assert handler.deserialize(io.BytesIO(b'{"id": "123456789012345678901"}'), None, None) == {
        'id': '123456789012345678901'
    }
    assert handler.deserialize(io.BytesIO(b'[18446744073709551615]'), None, None) == [2**64 - 1]
    # Beyond Python's integer digit limit it is a 400, not a 500.
    with pytest.raises(errors.MediaMalformedError):
        handler.deserialize(io.BytesIO(b'9' * 5000), None, None)
    exact = JSONHandler(loads=json.loads)
    assert exact.deserialize(io.BytesIO(b'[1180591620717411303424]'), None, None) == [2**70]


def test_json_serialize_non_str_keys_and_unserializable() -> None:
    handler = JSONHandler()
    assert handler.serialize({1: 'a', 'b': 2}, 'application/json') == b'{"1":"a","b":2}'
    with pytest.raises(TypeError):
        handler.serialize({'s': {1, 2}}, 'application/json')


def test_json_serialize_deep_but_legal_nesting_falls_back() -> None:
    doc: Any = []
    for _ in range(300):  # deeper than orjson's serializer allows
        doc = [doc]
    body = JSONHandler().serialize(doc, 'application/json')
    assert body == b'[' * 301 + b']' * 301


def test_json_custom_dumps_str_and_bytes() -> None:
    spaced = JSONHandler(dumps=json.dumps)
    assert spaced.serialize({'a': 1}, 'application/json') == b'{"a": 1}'
    as_bytes = JSONHandler(dumps=lambda obj: json.dumps(obj).encode() + b'\n')
    assert as_bytes.serialize([1], 'application/json') == b'[1]\n'
    # Fast paths are exposed for the exact class with custom functions too.
    _, ser, _ = Handlers({'application/json': spaced})._resolve('application/json', 'x/y')
    assert ser is not None and ser({'a': 1}) == b'{"a": 1}'


def test_json_custom_loads_receives_str() -> None:
    seen: list[Any] = []

    def loads(text: Any) -> Any:
        seen.append(text)
        return json.loads(text)

    handler = JSONHandler(loads=loads)
    assert handler.deserialize(io.BytesIO(b'{"a": "\xc3\xbc"}'), None, None) == {'a': 'ü'}
    assert isinstance(seen[-1], str)
    with pytest.raises(errors.MediaMalformedError) as info:
        handler.deserialize(io.BytesIO(b'{"a": "\xff"}'), None, None)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_json_assigning_dumps_or_loads_rebuilds_the_handler() -> None:
    # Code written for Falcon assigns these attributes on a live handler.
    handler = JSONHandler()
    handler._dumps = lambda obj: json.dumps(obj).upper()
    handler._loads = lambda text: {'seen': text}
    assert handler._dumps is not None and handler._loads is not None
    assert handler.serialize({'a': 'b'}, 'application/json') == b'{"A": "B"}'
    assert handler.deserialize(io.BytesIO(b'[1]'), None, None) == {'seen': '[1]'}
    _, ser, deser = Handlers({'application/json': handler})._resolve('application/json', 'x/y')
    assert ser is not None and ser([1]) == b'[1]'
    assert deser is not None and deser(b'2') == {'seen': '2'}
    handler._loads = None
    assert handler.deserialize(io.BytesIO(b'[1]'), None, None) == [1]


def test_json_custom_loads_with_non_value_error_is_learned() -> None:
    class DecodeError(Exception):
        pass

    def loads(text: str) -> Any:
        try:
            return json.loads(text)
        except ValueError as err:
            raise DecodeError(str(err)) from None

    handler = JSONHandler(loads=loads)
    with pytest.raises(errors.MediaMalformedError) as info:
        handler.deserialize(io.BytesIO(b'{"oops'), None, None)
    assert isinstance(info.value.__cause__, DecodeError)


def test_json_stdlib_loads_deep_nesting_is_400_not_500() -> None:
    handler = JSONHandler(loads=json.loads)
    body = b'[' * 100_000 + b']' * 100_000
    with pytest.raises(errors.MediaMalformedError) as info:
        handler.deserialize(io.BytesIO(body), None, None)
    assert isinstance(info.value.__cause__, RecursionError)


def test_json_ws_handler() -> None:
    handler = JSONHandlerWS()
    text = handler.serialize({'a': 'ü', 'b': [1, 2]})
    assert text == '{"a":"ü","b":[1,2]}'
    assert isinstance(text, str)
    assert handler.deserialize(text) == {'a': 'ü', 'b': [1, 2]}
    with pytest.raises(ValueError):
        handler.deserialize('{nope')

    custom = JSONHandlerWS(dumps=json.dumps, loads=json.loads)
    assert custom.serialize({'a': 1}) == '{"a": 1}'
    from_bytes = JSONHandlerWS(dumps=lambda obj: json.dumps(obj).encode())
    assert from_bytes.serialize([1]) == '[1]'


# ------------------------------------------------------------------------------------------
# MessagePack
# ------------------------------------------------------------------------------------------


def test_msgpack_round_trip_preserves_str_and_bytes() -> None:
    handler = MessagePackHandler()
    doc = {'text': 'ü', 'blob': b'\x00\xff', 'n': [1, -2, 3.5, None, True]}
    body = handler.serialize(doc, 'application/msgpack')
    assert handler.deserialize(io.BytesIO(body), 'application/msgpack', len(body)) == doc
    assert run(handler.serialize_async(doc, 'application/msgpack')) == body
    assert run(handler.deserialize_async(AsyncBytes(body), None, None)) == doc
    _, ser, deser = Handlers({'application/msgpack': handler})._resolve(
        'application/msgpack', 'x/y'
    )
    assert ser is not None and deser is not None and deser(ser(doc)) == doc


def test_msgpack_empty_and_malformed() -> None:
    handler = MessagePackHandler()
    with pytest.raises(errors.MediaNotFoundError) as info:
        handler.deserialize(io.BytesIO(b''), None, None)
    assert info.value.title == 'Invalid MessagePack'
    for body in (b'\xc1', b'\x92\x01', b'\x01\x02', b'\xa1\xff', b'\x81\x90\x01'):
        with pytest.raises(errors.MediaMalformedError) as err:
            handler.deserialize(io.BytesIO(body), None, None)
        assert err.value.description.startswith('Could not parse MessagePack body')


def test_msgpack_ws_handler() -> None:
    handler = MessagePackHandlerWS()
    payload = handler.serialize({'a': b'x', 'b': 'y'})
    assert isinstance(payload, bytes)
    assert handler.deserialize(payload) == {'a': b'x', 'b': 'y'}


def test_msgpack_missing_library_is_import_error_with_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, 'msgpack', None)
    with pytest.raises(ImportError, match=r'lanner-core\[msgpack\]'):
        MessagePackHandler()
    with pytest.raises(ImportError, match='msgpack'):
        MessagePackHandlerWS()


# ------------------------------------------------------------------------------------------
# URL-encoded forms
# ------------------------------------------------------------------------------------------


def test_urlencoded_deserialize() -> None:
    handler = URLEncodedFormHandler()
    body = b'a=1&b=x+y&a=2&empty=&c=%C3%BC'
    assert handler.deserialize(io.BytesIO(body), None, None) == {
        'a': ['1', '2'],
        'b': 'x y',
        'empty': '',
        'c': 'ü',
    }
    assert handler.deserialize(io.BytesIO(b''), None, None) == {}
    assert run(handler.deserialize_async(AsyncBytes(b'k=v'), None, None)) == {'k': 'v'}


def test_urlencoded_options() -> None:
    no_blank = URLEncodedFormHandler(keep_blank=False)
    assert no_blank.deserialize(io.BytesIO(b'a=&b=1'), None, None) == {'b': '1'}
    csv = URLEncodedFormHandler(csv=True)
    assert csv.deserialize(io.BytesIO(b't=1,2&t=3'), None, None) == {'t': ['1', '2', '3']}


def test_urlencoded_non_ascii_is_400() -> None:
    with pytest.raises(errors.MediaMalformedError) as info:
        URLEncodedFormHandler().deserialize(io.BytesIO('a=ü'.encode()), None, None)
    assert info.value.title == 'Invalid URL-encoded'
    assert isinstance(info.value.__cause__, UnicodeDecodeError)


def test_urlencoded_field_cap() -> None:
    handler = URLEncodedFormHandler(max_fields=3)
    assert handler.deserialize(io.BytesIO(b'a=1&b=2&c=3'), None, None) == {
        'a': '1',
        'b': '2',
        'c': '3',
    }
    with pytest.raises(errors.MediaMalformedError) as info:
        handler.deserialize(io.BytesIO(b'a=1&b=2&c=3&d=4'), None, None)
    assert 'more than 3 fields' in info.value.description
    unlimited = URLEncodedFormHandler(max_fields=None)
    assert len(unlimited.deserialize(io.BytesIO(b'&'.join([b'k=v'] * 5000)), None, None)) == 1
    with pytest.raises(ValueError, match='max_fields'):
        URLEncodedFormHandler(max_fields=-1)


def test_urlencoded_serialize() -> None:
    handler = URLEncodedFormHandler()
    assert handler.serialize({'a': 'x y', 'b': [1, 2]}, 'x') == b'a=x+y&b=1&b=2'
    assert run(handler.serialize_async({'q': 'ü'}, 'x')) == b'q=%C3%BC'
    _, ser, deser = Handlers()._resolve('application/x-www-form-urlencoded', 'x/y')
    assert ser is not None and deser is not None
    assert deser(ser({'a': ['1', '2']})) == {'a': ['1', '2']}


def test_multipart_handler_cannot_serialize() -> None:
    with pytest.raises(NotImplementedError):
        MultipartFormHandler().serialize({}, 'multipart/form-data')
    with pytest.raises(NotImplementedError):
        run(MultipartFormHandler().serialize_async({}, 'multipart/form-data'))
    # The form is lazy: draining the body right after get_media() would destroy it.
    assert MultipartFormHandler.exhaust_stream is False
