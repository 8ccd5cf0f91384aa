"""Sending and receiving: text, bytes, media, JSON and MessagePack; bad payloads."""

from __future__ import annotations

import json
from typing import Any

import msgpack
import pytest
from ws_driver import AppClosed, WSDriver

from lanner.constants import WebSocketPayloadType
from lanner.errors import OperationNotAllowed, PayloadTypeError, WebSocketDisconnected
from lanner.media import JSONHandlerWS


class Script:
    """Resource running ``script(ws)`` after accepting; keeps the error it raised."""

    def __init__(self, script: Any, accept: bool = True) -> None:
        self.script = script
        self.accept = accept
        self.error: BaseException | None = None
        self.result: Any = None
        self.ws: Any = None

    async def on_websocket(self, req: Any, ws: Any) -> None:
        self.ws = ws
        if self.accept:
            await ws.accept()
        try:
            self.result = await self.script(ws)
        except Exception as ex:
            self.error = ex
            raise


@pytest.mark.parametrize('max_receive_queue', [0, 1, 4])
async def test_text_and_bytes_round_trip(make_ws_app: Any, max_receive_queue: int) -> None:
    app = make_ws_app()
    app.ws_options.max_receive_queue = max_receive_queue

    async def script(ws: Any) -> None:
        while True:
            text = await ws.receive_text()
            await ws.send_text(text.upper())
            data = await ws.receive_data()
            await ws.send_data(bytearray(data[::-1]))
            await ws.send_data(memoryview(b'mv'))

    res = Script(script)
    app.add_route('/', res)
    async with WSDriver(app, '/') as client:
        for i in range(3):
            await client.send_text(f'héllo {i}')
            await client.send_bytes(bytes([1, 2, i]))
            assert await client.receive_text() == f'HÉLLO {i}'
            assert await client.receive_bytes() == bytes([i, 2, 1])
            assert await client.receive_bytes() == b'mv'
        await client.disconnect(1001)
        await client.finished()
    assert isinstance(res.error, WebSocketDisconnected)
    assert res.error.code == 1001
    assert res.ws.closed and res.ws.close_code == 1001
    # The client left: the app must not send a close afterwards.
    assert client.close_event is None


async def test_send_type_errors(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        with pytest.raises(TypeError, match='str'):
            await ws.send_text(b'bytes')
        with pytest.raises(TypeError, match='bytes'):
            await ws.send_data('text')
        with pytest.raises(TypeError):
            await ws.send_data(123)

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert res.error is None
    assert [e['type'] for e in client.sent] == ['websocket.accept', 'websocket.close']


async def test_operations_before_accept_not_allowed(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        for call in (
            ws.send_text('x'),
            ws.send_data(b'x'),
            ws.send_media({}),
            ws.send_json({}),
            ws.receive_text(),
            ws.receive_data(),
            ws.receive_media(),
            ws.receive_json(),
        ):
            with pytest.raises(OperationNotAllowed, match='accept'):
                await call

    res = Script(script, accept=False)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        assert not await client.wait_accepted()
    assert res.error is None


async def test_nothing_is_sent_after_close(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        await ws.close(4000)
        for call in (ws.send_text('x'), ws.send_data(b'x'), ws.send_media([1]), ws.send_json(1)):
            with pytest.raises(WebSocketDisconnected) as info:
                await call
            assert info.value.code == 4000
        with pytest.raises(WebSocketDisconnected):
            await ws.receive_text()

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
        await client.finished()
    assert res.error is None
    assert [e['type'] for e in client.sent] == ['websocket.accept', 'websocket.close']
    assert client.violations == []


@pytest.mark.parametrize(
    ('client_sends', 'method', 'expected_close'),
    [('bytes', 'receive_text', 1011), ('text', 'receive_data', 1011)],
)
async def test_wrong_payload_type_raises_and_closes_1011_as_falcon(
    ws_app: Any, client_sends: str, method: str, expected_close: int
) -> None:
    async def script(ws: Any) -> None:
        await getattr(ws, method)()

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        if client_sends == 'bytes':
            await client.send_bytes(b'\x00')
        else:
            await client.send_text('text')
        await client.wait_closed()
    assert isinstance(res.error, PayloadTypeError)
    assert client.close_code == expected_close
    assert client.close_reason == 'Internal Server Error'


async def test_payload_type_error_can_be_handled_by_the_app(ws_app: Any) -> None:
    async def script(ws: Any) -> list[str]:
        got = []
        try:
            await ws.receive_text()
        except PayloadTypeError:
            await ws.send_text('text only, please')
        got.append(await ws.receive_text())
        return got

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.send_bytes(b'bin')
        assert await client.receive_text() == 'text only, please'
        await client.send_text('ok')
        await client.wait_closed()
    assert res.result == ['ok']
    assert client.close_code == 1000


async def test_payload_type_error_with_user_exception_handler_keeps_falcon_mapping(
    ws_app: Any,
) -> None:
    seen = []

    async def handler(req: Any, resp: Any, ex: Exception, params: Any, ws: Any = None) -> None:
        seen.append((type(ex), resp, ws is not None))
        await ws.close(4400)

    ws_app.add_error_handler(TypeError, handler)

    async def script(ws: Any) -> None:
        await ws.receive_text()

    ws_app.add_route('/', Script(script))
    async with WSDriver(ws_app, '/') as client:
        await client.send_bytes(b'x')
        await client.wait_closed()
    assert seen == [(PayloadTypeError, None, True)]
    assert client.close_code == 4400


@pytest.mark.parametrize('max_receive_queue', [0, 4])
async def test_invalid_utf8_text_closes_1007(make_ws_app: Any, max_receive_queue: int) -> None:
    app = make_ws_app()
    app.ws_options.max_receive_queue = max_receive_queue

    async def script(ws: Any) -> None:
        await ws.receive_text()

    res = Script(script)
    app.add_route('/', res)
    async with WSDriver(app, '/') as client:
        # What a server decoding with surrogateescape would hand over for b'\xff'.
        await client.send_text(b'ok \xff'.decode('utf-8', 'surrogateescape'))
        await client.wait_closed()
    assert client.close_code == 1007
    assert client.close_reason == 'Invalid Payload Data'
    assert isinstance(res.error, WebSocketDisconnected) and res.error.code == 1007


@pytest.mark.parametrize('max_receive_queue', [0, 4])
@pytest.mark.parametrize(
    ('payload', 'too_big'),
    [
        (b'x' * 16, False),
        (b'x' * 17, True),
        ('x' * 16, False),
        ('x' * 17, True),
        ('\u00e9' * 8, False),  # 16 bytes of UTF-8
        ('\u00e9' * 8 + 'x', True),  # 17 bytes, only 9 characters
    ],
)
async def test_oversized_messages_close_1009(
    make_ws_app: Any, max_receive_queue: int, payload: Any, too_big: bool
) -> None:
    app = make_ws_app()
    app.ws_options.max_receive_queue = max_receive_queue
    app.ws_options.max_message_size = 16

    async def script(ws: Any) -> None:
        while True:
            event = await (ws.receive_data() if isinstance(payload, bytes) else ws.receive_text())
            await ws.send_text(f'got {len(event)}')

    res = Script(script)
    app.add_route('/', res)
    async with WSDriver(app, '/') as client:
        if isinstance(payload, bytes):
            await client.send_bytes(payload)
        else:
            await client.send_text(payload)
        if too_big:
            close = await client.wait_closed()
            assert (close['code'], close['reason']) == (1009, 'Message Too Big')
            assert isinstance(res.error, WebSocketDisconnected) and res.error.code == 1009
        else:
            assert await client.receive_text() == f'got {len(payload)}'


async def test_media_round_trip_text_and_binary(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        obj = await ws.receive_media()  # JSON text
        await ws.send_media({'echo': obj})
        obj = await ws.receive_media()  # MessagePack binary
        await ws.send_media({'echo': obj}, WebSocketPayloadType.BINARY)

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.send_json({'a': [1, 2]})
        message = await client.receive()
        assert json.loads(message['text']) == {'echo': {'a': [1, 2]}}
        await client.send_msgpack({'b': b'\x00\x01', 'c': 'ü'})
        message = await client.receive()
        assert message.get('text') is None
        assert msgpack.unpackb(message['bytes'], raw=False) == {
            'echo': {'b': b'\x00\x01', 'c': 'ü'}
        }
        await client.wait_closed()
    assert res.error is None


async def test_custom_media_handlers(ws_app: Any) -> None:
    class UpperText(JSONHandlerWS):
        def serialize(self, media: object) -> str:
            return str(media).upper()

        def deserialize(self, payload: str) -> object:
            return payload[::-1]

    ws_app.ws_options.media_handlers[WebSocketPayloadType.TEXT] = UpperText()

    async def script(ws: Any) -> None:
        await ws.send_media(await ws.receive_media())

    ws_app.add_route('/', Script(script))
    async with WSDriver(ws_app, '/') as client:
        await client.send_text('abc')
        assert await client.receive_text() == 'CBA'


async def test_send_media_without_handler(ws_app: Any) -> None:
    del ws_app.ws_options.media_handlers[WebSocketPayloadType.BINARY]

    async def script(ws: Any) -> None:
        with pytest.raises(ValueError, match='media handler'):
            await ws.send_media({}, WebSocketPayloadType.BINARY)

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert res.error is None


async def test_bad_json_media_is_an_error_1011(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        await ws.receive_media()

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.send_text('{not json')
        await client.wait_closed()
    assert isinstance(res.error, ValueError)
    assert client.close_code == 1011


async def test_page_json_and_msgpack_helpers(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        data = await ws.receive_json()
        await ws.send_json({'json': data})
        data = await ws.receive_json()  # JSON in a binary frame is accepted too
        await ws.send_json({'json-bin': data})
        data = await ws.receive_msgpack()
        await ws.send_msgpack({'msgpack': data})

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.send_json([1, 'two', None])
        assert await client.receive_json() == {'json': [1, 'two', None]}
        await client.send_bytes(b'{"k": true}')
        assert await client.receive_json() == {'json-bin': {'k': True}}
        await client.send_msgpack({'x': 1.5})
        assert await client.receive_msgpack() == {'msgpack': {'x': 1.5}}
        await client.wait_closed()
    assert res.error is None


async def test_undecodable_json_is_left_for_receive_text(ws_app: Any) -> None:
    """receive_json() raises ValueError without consuming the message (EchoWebSocket idiom)."""

    async def script(ws: Any) -> list[Any]:
        got: list[Any] = []
        for _ in range(3):
            try:
                got.append(('json', await ws.receive_json()))
            except ValueError:
                got.append(('text', await ws.receive_text()))
        return got

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.send_text('{"a": 1}')
        await client.send_text('plain words')
        await client.send_text('[2]')
        await client.wait_closed()
    assert res.result == [('json', {'a': 1}), ('text', 'plain words'), ('json', [2])]


async def test_undecodable_msgpack_is_left_in_place(ws_app: Any) -> None:
    async def script(ws: Any) -> list[Any]:
        got: list[Any] = []
        with pytest.raises(ValueError):
            await ws.receive_msgpack()
        got.append(await ws.receive_data())
        with pytest.raises(PayloadTypeError):
            await ws.receive_msgpack()
        got.append(await ws.receive_text())
        return got

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.send_bytes(b'\xc1')  # 0xc1 is never used in MessagePack
        await client.send_text('text')
        await client.wait_closed()
    assert res.error is None
    assert res.result == [b'\xc1', 'text']


async def test_buffered_messages_are_delivered_before_the_disconnect(ws_app: Any) -> None:
    async def script(ws: Any) -> list[str]:
        got = []
        try:
            while True:
                got.append(await ws.receive_text())
        except WebSocketDisconnected as ex:
            got.append(f'disconnected {ex.code}')
        return got

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_accepted()
        client.push({'type': 'websocket.receive', 'text': 'one'})
        client.push({'type': 'websocket.receive', 'text': 'two'})
        client.push({'type': 'websocket.disconnect', 'code': 1001})
        client.client_gone = True
        await client.finished()
    assert res.result == ['one', 'two', 'disconnected 1001']


async def test_server_send_failure_becomes_websocket_disconnected(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        await ws.receive_text()
        await ws.send_text('first')

    res = Script(script)
    ws_app.add_route('/', res)

    async with WSDriver(ws_app, '/') as client:
        await client.wait_accepted()
        client.client_gone = True  # the server now fails sends with an OSError
        await client.send_text('go')
        await client.finished()
    assert isinstance(res.error, WebSocketDisconnected)
    assert res.ws.closed
    assert client.close_event is None


async def test_server_error_messages_are_translated(ws_app: Any) -> None:
    """Servers report a closed peer in their own words; the close code is picked out."""

    async def script(ws: Any) -> None:
        await ws.send_text('x')

    res = Script(script)
    ws_app.add_route('/', res)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def failing_send(message: Any) -> None:
            if message['type'] == 'websocket.send':
                try:
                    raise RuntimeError('received 4002 (private use); then sent 4002')
                except RuntimeError as cause:
                    raise ConnectionResetError('peer closed') from cause
            await send(message)

        await ws_app(scope, receive, failing_send)

    async with WSDriver(app, '/') as client:
        await client.wait_accepted()
        await client.finished()
    assert isinstance(res.error, WebSocketDisconnected)
    assert res.error.code == 4002


async def test_other_server_errors_propagate_as_1011(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        await ws.send_text('x')

    res = Script(script)
    ws_app.add_route('/', res)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def failing_send(message: Any) -> None:
            if message['type'] == 'websocket.send':
                raise RuntimeError('boom')
            await send(message)

        await ws_app(scope, receive, failing_send)

    async with WSDriver(app, '/') as client:
        await client.wait_closed()
    assert isinstance(res.error, RuntimeError)
    assert client.close_code == 1011


async def test_normal_closure_text_from_server(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        await ws.send_text('x')

    res = Script(script)
    ws_app.add_route('/', res)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def failing_send(message: Any) -> None:
            if message['type'] == 'websocket.send':
                raise RuntimeError('sent 1000 (OK); no close frame received; code = 1000 (OK)')
            await send(message)

        await ws_app(scope, receive, failing_send)

    async with WSDriver(app, '/') as client:
        await client.wait_accepted()
        await client.finished()
    assert isinstance(res.error, WebSocketDisconnected) and res.error.code == 1000


async def test_app_closed_raises_in_driver(ws_app: Any) -> None:
    async def script(ws: Any) -> None:
        await ws.close(4321, 'bye')

    ws_app.add_route('/', Script(script))
    async with WSDriver(ws_app, '/') as client:
        with pytest.raises(AppClosed) as info:
            await client.receive()
    assert (info.value.code, info.value.reason) == (4321, 'bye')


async def test_a_loop_that_ignores_bad_json_cannot_spin(ws_app: Any) -> None:
    """The undecodable message is retained once; a second decode attempt consumes it."""

    async def script(ws: Any) -> list[Any]:
        got: list[Any] = []
        errors = 0
        while len(got) < 1:
            try:
                got.append(await ws.receive_json())
            except ValueError:
                errors += 1
                if errors > 10:
                    raise AssertionError('the same bad message came back forever') from None
        return [errors, *got]

    res = Script(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.send_text('not json')
        await client.send_text('{"ok": 1}')
        await client.wait_closed()
    assert res.error is None
    assert res.result == [2, {'ok': 1}]
