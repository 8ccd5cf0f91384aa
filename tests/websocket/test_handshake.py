"""Accepting, denying and closing connections; the connection's attributes."""

from __future__ import annotations

from typing import Any

import pytest
from ws_driver import AppClosed, WSDriver, build_ws_scope

import lanner
from lanner.errors import OperationNotAllowed, WebSocketDisconnected
from lanner.websocket import ReadyState, WebSocket


class Recorder:
    """A resource whose on_websocket runs ``script(req, ws)`` and keeps what happened."""

    def __init__(self, script: Any) -> None:
        self.script = script
        self.ws: Any = None
        self.req: Any = None
        self.result: Any = None
        self.error: BaseException | None = None

    async def on_websocket(self, req: Any, ws: Any, **params: Any) -> None:
        self.req, self.ws = req, ws
        try:
            self.result = await self.script(req, ws, **params)
        except Exception as ex:
            self.error = ex
            raise


async def test_accept_then_app_returns_closes_with_1000(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        assert ws.unaccepted and not ws.ready and not ws.closed
        assert ws.ready_state == ReadyState.CONNECTING == 0
        await ws.accept()
        assert ws.ready and not ws.unaccepted and not ws.closed
        assert ws.ready_state == 1

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        assert await client.wait_accepted()
        close = await client.wait_closed()
    assert close['code'] == 1000
    assert close['reason'] == 'Normal Closure'
    assert res.ws.closed and res.ws.ready_state == ReadyState.CLOSED
    assert res.ws.close_code == 1000
    assert client.accept_event == {'type': 'websocket.accept', 'subprotocol': None}


async def test_returning_without_accept_denies_the_handshake(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        return None

    ws_app.add_route('/', Recorder(script))
    async with WSDriver(ws_app, '/') as client:
        assert not await client.wait_accepted()
    assert not client.accepted
    assert client.close_code == 1000  # a close before accept: the server answers HTTP 403


async def test_close_before_accept_with_code_and_reason(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.close(4001, 'go away')
        assert ws.closed
        with pytest.raises(OperationNotAllowed):
            await ws.accept()

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        assert not await client.wait_accepted()
    assert (client.close_code, client.close_reason) == (4001, 'go away')
    assert res.error is None


async def test_subprotocols_and_selection(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> tuple[str, ...]:
        await ws.accept(subprotocol=ws.subprotocols[-1])
        return ws.subprotocols

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/', subprotocols=['wamp', 'mqtt']) as client:
        assert await client.wait_accepted()
    assert res.result == ('wamp', 'mqtt')
    assert client.accept_event is not None
    assert client.accept_event['subprotocol'] == 'mqtt'


async def test_no_subprotocols_is_empty_tuple(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> tuple[str, ...]:
        return ws.subprotocols

    res = Recorder(script)
    ws_app.add_route('/', res)
    scope = build_ws_scope('/')
    del scope['subprotocols']
    async with WSDriver(ws_app, scope=scope):
        pass
    assert res.result == ()


@pytest.mark.parametrize('bad', [42, b'chat', 'two words', 'x\r\ny: z', ''])
async def test_invalid_subprotocol_is_rejected(ws_app: Any, bad: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        with pytest.raises(ValueError, match='subprotocol'):
            await ws.accept(subprotocol=bad)
        assert ws.unaccepted

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        assert not await client.wait_accepted()
    assert res.error is None


async def test_accept_headers_are_lowercased_and_encoded(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        assert ws.supports_accept_headers
        await ws.accept(headers={'X-Trace': 'abc', 'Set-Cookie': 'a=1; Path=/'})

    ws_app.add_route('/', Recorder(script))
    async with WSDriver(ws_app, '/') as client:
        assert await client.wait_accepted()
    assert client.accept_event is not None
    assert client.accept_event['headers'] == [(b'x-trace', b'abc'), (b'set-cookie', b'a=1; Path=/')]


async def test_accept_headers_as_pairs(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.accept(headers=[('X-A', '1'), ('X-A', '2')])

    ws_app.add_route('/', Recorder(script))
    async with WSDriver(ws_app, '/') as client:
        assert await client.wait_accepted()
    assert client.accept_event is not None
    assert client.accept_event['headers'] == [(b'x-a', b'1'), (b'x-a', b'2')]


@pytest.mark.parametrize(
    'headers',
    [
        {'Sec-WebSocket-Protocol': 'chat'},
        {'X-Evil': 'a\r\nInjected: yes'},
        {'X-Nul': 'a\x00b'},
        {'Bad Name': 'v'},
        {'X-Unicode': 'caf\u00e9'},
        {'X-Bytes': b'v'},
        [('only-one',)],
        'not headers',
    ],
)
async def test_bad_accept_headers_raise_value_error(ws_app: Any, headers: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        with pytest.raises(ValueError):
            await ws.accept(headers=headers)
        assert ws.unaccepted

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        assert not await client.wait_accepted()
    assert res.error is None


@pytest.mark.parametrize(
    'headers', [{'X-Evil': 'a\r\nInjected: yes'}, {'X-Nul': 'a\x00b'}, {'Bad Name': 'v'}]
)
async def test_unsafe_accept_headers_are_unsafe_value_errors(ws_app: Any, headers: Any) -> None:
    from lanner.errors import UnsafeValueError

    async def script(req: Any, ws: Any) -> None:
        with pytest.raises(UnsafeValueError):  # still a ValueError, as in Falcon
            await ws.accept(headers=headers)

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        assert not await client.wait_accepted()
    assert res.error is None


async def test_accept_headers_on_spec_2_0_server_not_allowed(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        assert not ws.supports_accept_headers
        with pytest.raises(OperationNotAllowed):
            await ws.accept(headers={'x-a': '1'})
        await ws.accept()

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/', spec_version='2.0') as client:
        assert await client.wait_accepted()
        await client.wait_closed()
    assert res.error is None
    # Spec 2.0 has no close reasons either.
    assert client.close_event == {'type': 'websocket.close', 'code': 1000}


async def test_accept_twice_not_allowed(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.accept()
        with pytest.raises(OperationNotAllowed, match='already'):
            await ws.accept()

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert res.error is None


@pytest.mark.parametrize('code', [999, 1004, 1005, 1006, 1015, 1999, 5000, '1000', 1000.0, True])
async def test_invalid_close_codes(ws_app: Any, code: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.accept()
        with pytest.raises(ValueError, match='Invalid close code'):
            await ws.close(code)
        assert ws.ready

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert res.error is None
    assert client.close_code == 1000


@pytest.mark.parametrize(
    ('code', 'reason', 'expected'),
    [
        (None, None, (1000, 'Normal Closure')),
        (1001, None, (1001, 'Going Away')),
        (3404, None, (3404, 'Not Found')),
        (4000, None, (4000, None)),
        (4000, 'custom reason', (4000, 'custom reason')),
        (2500, 'x', (2500, 'x')),
    ],
)
async def test_close_codes_and_reasons(
    ws_app: Any, code: Any, reason: Any, expected: tuple[int, str | None]
) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.accept()
        await ws.close(code, reason)
        await ws.close(4999, 'ignored: already closed')

    ws_app.add_route('/', Recorder(script))
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert (client.close_code, client.close_reason) == expected
    assert [e['type'] for e in client.sent].count('websocket.close') == 1


async def test_custom_default_close_reasons(ws_app: Any) -> None:
    ws_app.ws_options.default_close_reasons[4040] = 'Room is gone'

    async def script(req: Any, ws: Any) -> None:
        await ws.accept()
        await ws.close(4040)

    ws_app.add_route('/', Recorder(script))
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert client.close_reason == 'Room is gone'


async def test_close_reason_validation(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.accept()
        with pytest.raises(ValueError, match='too long'):
            await ws.close(1000, 'x' * 124)
        with pytest.raises(TypeError):
            await ws.close(1000, b'bytes')
        await ws.close(1000, '\u00e9' * 61)  # 122 bytes of UTF-8: fits

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert res.error is None
    assert client.close_reason == '\u00e9' * 61


async def test_page_attributes(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> dict[str, Any]:
        ws.context.user = 'ann'
        return {
            'path': ws.path,
            'query_string': ws.query_string,
            'headers': ws.headers,
            'client_address': ws.client_address,
            'context_user': ws.context.user,
            'context_type': type(ws.context),
            'req_path': req.path,
            'req_method': req.method,
            'req_qs': req.get_param('room'),
        }

    res = Recorder(script)
    ws_app.add_route('/chat', res)
    headers = [('Origin', 'http://example.com'), ('X-Multi', 'a'), ('X-Multi', 'b')]
    async with WSDriver(ws_app, '/chat', query_string='room=1&x=%20', headers=headers):
        pass
    got = res.result
    assert got['path'] == '/chat' == got['req_path']
    assert got['query_string'] == 'room=1&x=%20'
    assert got['headers']['origin'] == 'http://example.com'
    assert got['headers']['x-multi'] == 'a,b'
    assert got['headers']['host'] == 'falconframework.org'
    assert got['client_address'] == ('127.0.0.1', 51000)
    assert got['context_user'] == 'ann'
    assert got['context_type'] is lanner.Context
    assert got['req_method'] == 'GET'
    assert got['req_qs'] == '1'


async def test_client_address_absent(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> Any:
        return ws.client_address

    res = Recorder(script)
    ws_app.add_route('/', res)
    scope = build_ws_scope('/', client=None)
    async with WSDriver(ws_app, scope=scope):
        pass
    assert res.result is None


async def test_page_constructor_form_in_a_raw_asgi_app() -> None:
    """``WebSocket(scope, receive, send)`` as on the commissioning page."""

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        ws = WebSocket(scope, receive, send)
        assert ws.path == '/raw' and ws.unaccepted
        await ws.accept()  # consumes websocket.connect itself
        text = await ws.receive_text()
        await ws.send_json({'got': text})
        await ws.close()

    async with WSDriver(raw_app, '/raw') as client:
        assert await client.wait_accepted()
        await client.send_text('hello')
        assert await client.receive_json() == {'got': 'hello'}
        await client.wait_closed()


async def test_page_constructor_client_leaves_before_connect() -> None:
    seen: list[BaseException] = []

    async def raw_app(scope: Any, receive: Any, send: Any) -> None:
        ws = WebSocket(scope, receive, send)
        try:
            await ws.accept()
        except WebSocketDisconnected as ex:
            seen.append(ex)

    driver = WSDriver(raw_app, '/', first_event={'type': 'websocket.disconnect', 'code': 1001})
    async with driver:
        await driver.finished()
    assert len(seen) == 1 and seen[0].code == 1001  # type: ignore[attr-defined]


def test_constructor_argument_errors() -> None:
    async def noop(*args: Any) -> Any:
        return None

    with pytest.raises(TypeError):
        WebSocket('2.3', {}, noop)  # Falcon's form without send
    with pytest.raises(TypeError):
        WebSocket({}, noop, noop, noop)  # mixed forms
    with pytest.raises(ValueError, match='max_receive_queue'):
        WebSocket('2.3', {}, noop, noop, {}, -1, {})
    with pytest.raises(ValueError, match='max_message_size'):
        WebSocket('2.3', {}, noop, noop, {}, 4, {}, max_message_size=0)
    ws = WebSocket('2.3', {'path': '/p'}, noop, noop, {}, 4, {})
    assert '/p' in repr(ws) and 'CONNECTING' in repr(ws)


async def test_denied_handshake_leaves_nothing_to_send(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.close()
        with pytest.raises(WebSocketDisconnected):
            await ws.send_text('x')
        with pytest.raises(WebSocketDisconnected):
            await ws.receive_text()

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        with pytest.raises(AppClosed):
            await client.receive()
    assert res.error is None
    assert [e['type'] for e in client.sent] == ['websocket.close']


async def test_handshake_request_has_no_body(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> tuple[bool, str]:
        with pytest.raises(lanner.UnsupportedError):
            req.stream  # noqa: B018
        return req.is_websocket, req.scheme

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/'):
        pass
    assert res.error is None
    assert res.result == (True, 'ws')


async def test_client_gone_before_accept(ws_app: Any, lanner_logs: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await client.disconnect(1001)  # the client gives up during the handshake
        try:
            await ws.accept()
        except WebSocketDisconnected as ex:
            return ('disconnected', ex.code, ws.closed)
        return ('accepted',)

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.finished()
    assert res.result == ('disconnected', 1000, True)
    assert client.sent == []


@pytest.mark.parametrize('headers', [[], {}, ()])
async def test_empty_accept_headers_send_no_headers(ws_app: Any, headers: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.accept(headers=headers)

    ws_app.add_route('/', Recorder(script))
    async with WSDriver(ws_app, '/', spec_version='2.0') as client:  # headers not even allowed
        assert await client.wait_accepted()
    assert client.accept_event is not None
    assert 'headers' not in client.accept_event


async def test_server_refusing_the_subprotocol_is_a_value_error(ws_app: Any) -> None:
    async def script(req: Any, ws: Any) -> None:
        await ws.accept()

        async def refuse(event: Any) -> None:
            # Autobahn's (Daphne's) words for a subprotocol the client did not offer.
            raise Exception('protocol accepted must be from the list')

        ws._asgi_send = refuse
        with pytest.raises(ValueError, match='subprotocol'):
            await ws.send_text('x')

    res = Recorder(script)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        assert await client.wait_accepted()
        await client.finished()
    assert res.error is None


async def test_falcon_state_names() -> None:
    from lanner.asgi.ws import _WebSocketState

    assert _WebSocketState.HANDSHAKE == ReadyState.CONNECTING
    assert _WebSocketState.ACCEPTED == ReadyState.OPEN
    assert _WebSocketState.CLOSED == ReadyState.CLOSED
    # Falcon lets code start the read-ahead receiver before accept(); here it starts on accept.
    ws = WebSocket(build_ws_scope('/'), None, None)  # type: ignore[arg-type]
    ws._buffered_receiver.start()
    assert ws.unaccepted
