"""ASGIWebSocketSimulator and ASGIConductor.simulate_ws.

The first half drives bare ASGI callables, pinning the simulated server's protocol checks; the
second half runs lanner.asgi.App with on_websocket resources (needs lanner-websocket).
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from typing import Any

import pytest

from lanner.errors import (
    OperationNotAllowed,
    PayloadTypeError,
    WebSocketDisconnected,
    WebSocketHandlerNotFound,
    WebSocketPathNotFound,
    WebSocketServerError,
)
from lanner.testing import ASGIConductor, ASGIWebSocketSimulator


async def echo_ws(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accept, echo every message, answer 'close' by closing with 4001."""
    assert scope['type'] == 'websocket'
    assert (await receive())['type'] == 'websocket.connect'
    await send(
        {
            'type': 'websocket.accept',
            'subprotocol': (scope.get('subprotocols') or [None])[-1],
            'headers': [(b'x-hello', b'world')],
        }
    )
    while True:
        event = await receive()
        if event['type'] == 'websocket.disconnect':
            scope['closed_with'] = event['code']
            return
        if event.get('text') == 'close':
            await send({'type': 'websocket.close', 'code': 4001, 'reason': 'asked'})
            return
        await send({'type': 'websocket.send', **{k: v for k, v in event.items() if k != 'type'}})


def denying(code: int, reason: str = '') -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({'type': 'websocket.close', 'code': code, 'reason': reason})

    return app


class TestSimulatorProtocol:
    async def test_round_trips(self) -> None:
        conductor = ASGIConductor(echo_ws)
        async with conductor.simulate_ws('/chat', subprotocols=['a', 'b']) as ws:
            assert ws.ready and not ws.closed
            assert ws.subprotocol == 'b'
            assert ws.headers == [(b'x-hello', b'world')]
            assert ws.close_code is None and ws.close_reason is None
            await ws.send_text('hi')
            assert await ws.receive_text() == 'hi'
            await ws.send_data(bytearray(b'\x00\x01'))
            assert await ws.receive_data() == b'\x00\x01'
            await ws.send_json({'a': [1]})
            assert await ws.receive_json() == {'a': [1]}
        assert ws.closed
        assert ws.close_code == 1000

    async def test_msgpack(self) -> None:
        pytest.importorskip('msgpack')
        async with ASGIConductor(echo_ws).simulate_ws() as ws:
            await ws.send_msgpack({'b': b'\x01', 'n': [1, 2]})
            assert await ws.receive_msgpack() == {'b': b'\x01', 'n': [1, 2]}

    async def test_payload_type_errors(self) -> None:
        async with ASGIConductor(echo_ws).simulate_ws() as ws:
            await ws.send_text('t')
            with pytest.raises(PayloadTypeError, match='TEXT'):
                await ws.receive_data()
            await ws.send_data(b'b')
            with pytest.raises(PayloadTypeError, match='BINARY'):
                await ws.receive_text()
            with pytest.raises(TypeError, match='must be a str'):
                await ws.send_text(b'x')  # type: ignore[arg-type]
            with pytest.raises(TypeError, match='must be bytes'):
                await ws.send_data('x')  # type: ignore[arg-type]

    async def test_app_closing_right_after_accepting_still_enters(self) -> None:
        async def accept_then_fail(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({'type': 'websocket.accept'})
            await send({'type': 'websocket.close', 'code': 1011})

        async with ASGIConductor(accept_then_fail).simulate_ws() as ws:
            with pytest.raises(WebSocketDisconnected) as info:
                await ws.receive_text()
        assert info.value.code == 1011

    async def test_app_close_is_seen_by_the_client(self) -> None:
        async with ASGIConductor(echo_ws).simulate_ws() as ws:
            await ws.send_text('queued')
            await ws.send_text('close')
            # Messages sent before the close are still delivered, then the closure.
            assert await ws.receive_text() == 'queued'
            with pytest.raises(WebSocketDisconnected) as info:
                await ws.receive_text()
            assert info.value.code == 4001
            assert (ws.closed, ws.close_code, ws.close_reason) == (True, 4001, 'asked')
            with pytest.raises(WebSocketDisconnected):
                await ws.send_text('too late')

    async def test_client_close_reaches_the_app(self) -> None:
        scope_seen: dict[str, Any] = {}

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await echo_ws(scope, receive, send)
            scope_seen.update(scope)

        async with ASGIConductor(app).simulate_ws() as ws:
            await ws.close(4321, 'bye')
            assert (ws.closed, ws.close_code, ws.close_reason) == (True, 4321, 'bye')
            await ws.close()  # idempotent
        assert scope_seen['closed_with'] == 4321

    @pytest.mark.parametrize(
        ('code', 'error', 'expected_code'),
        [
            (3404, WebSocketPathNotFound, 3404),
            (3405, WebSocketHandlerNotFound, 3405),
            (1011, WebSocketServerError, 1011),
            (3401, WebSocketDisconnected, 3401),
            (1000, WebSocketDisconnected, 3403),  # other codes: HTTP 403 to the client
            (4000, WebSocketDisconnected, 3403),
        ],
    )
    async def test_denials(self, code: int, error: type[Exception], expected_code: int) -> None:
        conductor = ASGIConductor(denying(code))
        with pytest.raises(error) as info:
            async with conductor.simulate_ws():
                pass
        assert info.value.code == expected_code  # type: ignore[attr-defined]

    async def test_denied_socket_state(self) -> None:
        ws = ASGIWebSocketSimulator()
        task = asyncio.ensure_future(denying(1000)({}, ws._emit, ws._collect))
        with pytest.raises(WebSocketDisconnected):
            await ws.wait_ready()
        await task
        assert ws.closed and not ws.ready
        assert (ws.close_code, ws.close_reason) == (3403, 'Forbidden')
        with pytest.raises(WebSocketDisconnected):
            await ws.send_text('x')

    async def test_operations_before_accept(self) -> None:
        ws = ASGIWebSocketSimulator()
        with pytest.raises(OperationNotAllowed, match='not yet been accepted'):
            await ws.send_text('x')
        with pytest.raises(OperationNotAllowed, match='not yet been accepted'):
            await ws.receive_text()

    async def test_app_must_receive_connect_first(self) -> None:
        ws = ASGIWebSocketSimulator()
        with pytest.raises(OperationNotAllowed, match=r'websocket.connect'):
            await ws._collect({'type': 'websocket.accept'})

    async def test_app_must_accept_or_close_first(self) -> None:
        ws = ASGIWebSocketSimulator()
        await ws._emit()
        with pytest.raises(OperationNotAllowed, match='accept or'):
            await ws._collect({'type': 'websocket.send', 'text': 'x'})

    async def test_app_may_not_receive_after_disconnect(self) -> None:
        ws = ASGIWebSocketSimulator()
        await ws._emit()
        await ws._collect({'type': 'websocket.accept'})
        await ws.close()
        assert (await ws._emit())['type'] == 'websocket.disconnect'
        with pytest.raises(OperationNotAllowed, match=r'disconnect event has already been'):
            await ws._emit()

    async def test_bad_send_events(self) -> None:
        ws = ASGIWebSocketSimulator()
        await ws._emit()
        await ws._collect({'type': 'websocket.accept'})
        with pytest.raises(ValueError, match='exactly one'):
            await ws._collect({'type': 'websocket.send'})
        with pytest.raises(TypeError, match='must be a str'):
            await ws._collect({'type': 'websocket.send', 'text': b'x'})
        with pytest.raises(ValueError, match='Invalid ASGI event type'):
            await ws._collect({'type': 'http.response.start'})
        # After a close, a send raises an OSError, as ASGI WebSocket 2.4 servers do.
        await ws._collect({'type': 'websocket.close'})
        with pytest.raises(OSError):
            await ws._collect({'type': 'websocket.send', 'text': 'refused'})
        assert ws.close_code == 1000

    async def test_send_after_client_close_raises_oserror(self) -> None:
        ws = ASGIWebSocketSimulator()
        await ws._emit()
        await ws._collect({'type': 'websocket.accept'})
        await ws.close(4042)
        with pytest.raises(WebSocketDisconnected) as info:
            await ws._collect({'type': 'websocket.send', 'text': 'too late'})
        assert isinstance(info.value, OSError) and info.value.code == 4042


class TestBounded:
    async def test_app_never_accepts(self) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await asyncio.Event().wait()

        start = time.monotonic()
        with pytest.raises(TimeoutError, match='handshake did not complete'):
            async with ASGIConductor(app).simulate_ws(timeout=0.2):
                pass
        assert time.monotonic() - start < 3

    async def test_wait_ready_default_message(self) -> None:
        ws = ASGIWebSocketSimulator()
        # The builtin TimeoutError on every Python (asyncio's is a different class on 3.10).
        with pytest.raises(TimeoutError, match='on_websocket') as info:
            await ws.wait_ready(timeout=0.05)
        assert type(info.value) is TimeoutError
        assert isinstance(info.value.__cause__, asyncio.TimeoutError)

    async def test_app_never_sends(self) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({'type': 'websocket.accept'})
            while (await receive())['type'] != 'websocket.disconnect':
                pass

        start = time.monotonic()
        async with ASGIConductor(app).simulate_ws(timeout=0.2) as ws:
            with pytest.raises(TimeoutError, match='sent no message'):
                await ws.receive_text()
            with pytest.raises(TimeoutError, match='sent no message'):
                await ws.receive_json(timeout=0.05)
        assert time.monotonic() - start < 3

    async def test_app_that_never_returns_after_close(self) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({'type': 'websocket.accept'})
            await asyncio.Event().wait()  # ignores the client entirely

        start = time.monotonic()
        with pytest.raises(TimeoutError, match='did not return'):
            async with ASGIConductor(app).simulate_ws(timeout=0.2):
                pass
        assert time.monotonic() - start < 3

    async def test_app_returning_without_handshake(self) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()

        # As Falcon's client: the handshake wait times out (simulate_ws' timeout).
        with pytest.raises(TimeoutError, match='without accepting or closing'):
            async with ASGIConductor(app).simulate_ws(timeout=0.1):
                pass

    async def test_handshake_wait_defaults_to_five_seconds(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await asyncio.Event().wait()

        # The class default (Falcon's 5 s) applies when no timeout is given; shortened here.
        monkeypatch.setattr(ASGIWebSocketSimulator, '_DEFAULT_WAIT_READY_TIMEOUT', 0.1)
        start = time.monotonic()
        with pytest.raises(TimeoutError, match=r'handshake did not complete within 0\.1'):
            async with ASGIConductor(app).simulate_ws():
                pass
        assert time.monotonic() - start < 3

    async def test_app_starts_when_simulate_ws_is_called(self) -> None:
        context = ASGIConductor(echo_ws).simulate_ws()
        ws = context._ws
        # Without entering the context, as Falcon's client allows.
        await ws.wait_ready()
        await ws.send_text('hi')
        assert await ws.receive_text() == 'hi'
        await context.__aexit__(None, None, None)

    async def test_app_raising_during_handshake(self) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            raise LookupError('no handshake for you')

        with pytest.raises(LookupError, match='no handshake'):
            async with ASGIConductor(app).simulate_ws():
                pass


# ------------------------------------------------------------------------ with lanner apps

needs_websocket = pytest.mark.skipif(
    importlib.util.find_spec('lanner.websocket') is None,
    reason='lanner-websocket is not installed',
)


@pytest.fixture
def ws_app() -> Any:
    import lanner.asgi

    kwargs: dict[str, Any] = {}
    if importlib.util.find_spec('lanner.routing') is None:
        from support.simple_router import SimpleRouter

        kwargs['router'] = SimpleRouter()
    return lanner.asgi.App(**kwargs)


class Chat:
    async def on_websocket(self, req: Any, ws: Any, room: str) -> None:
        await ws.accept(subprotocol=ws.subprotocols[0] if ws.subprotocols else None)
        await ws.send_media({'room': room, 'token': req.get_header('X-Token')})
        while True:
            text = await ws.receive_text()
            if text == 'bye':
                await ws.close(4000)
                return
            await ws.send_text(text.upper())


class Denies:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        import lanner

        raise lanner.HTTPForbidden()


class Crashes:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        raise RuntimeError('handler bug')


class NoWebSocket:
    async def on_get(self, req: Any, resp: Any) -> None:
        pass


@needs_websocket
class TestLannerApps:
    async def test_chat(self, ws_app: Any) -> None:
        ws_app.add_route('/rooms/{room}', Chat())
        conductor = ASGIConductor(ws_app, headers={'X-Token': 't0k'})
        async with conductor.simulate_ws('/rooms/lobby', subprotocols=['v1']) as ws:
            assert ws.subprotocol == 'v1'
            assert await ws.receive_json() == {'room': 'lobby', 'token': 't0k'}
            await ws.send_text('hello')
            assert await ws.receive_text() == 'HELLO'
            await ws.send_text('bye')
            with pytest.raises(WebSocketDisconnected) as info:
                await ws.receive_text()
            assert info.value.code == 4000

    async def test_client_disconnect_ends_the_responder(self, ws_app: Any) -> None:
        ws_app.add_route('/rooms/{room}', Chat())
        async with ASGIConductor(ws_app) as conductor:
            async with conductor.websocket('/rooms/x') as ws:
                await ws.receive_json()
                await ws.close(1001)
            assert ws.close_code == 1001

    async def test_sending_app_learns_the_client_close_code(self, ws_app: Any) -> None:
        seen: list[int] = []

        class Talker:
            async def on_websocket(self, req: Any, ws: Any) -> None:
                await ws.accept()
                while True:
                    try:
                        await ws.send_text('tick')
                    except WebSocketDisconnected as ex:
                        seen.append(ex.code)
                        return

        ws_app.add_route('/', Talker())
        async with ASGIConductor(ws_app).simulate_ws() as ws:
            assert await ws.receive_text() == 'tick'
            await ws.close(4042)
        assert seen == [4042]

    async def test_denials_map_to_errors(self, ws_app: Any) -> None:
        ws_app.add_route('/forbidden', Denies())
        ws_app.add_route('/crash', Crashes())
        ws_app.add_route('/http-only', NoWebSocket())
        conductor = ASGIConductor(ws_app)
        with pytest.raises(WebSocketPathNotFound):
            async with conductor.simulate_ws('/nowhere'):
                pass
        with pytest.raises(WebSocketHandlerNotFound):
            async with conductor.simulate_ws('/http-only'):
                pass
        with pytest.raises(WebSocketDisconnected) as info:
            async with conductor.simulate_ws('/forbidden'):
                pass
        assert info.value.code == 3403
        with pytest.raises(WebSocketServerError):
            async with conductor.simulate_ws('/crash'):
                pass
