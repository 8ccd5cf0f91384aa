"""The App's WebSocket flow: routing, sinks, middleware, hooks and the close-code mapping."""

from __future__ import annotations

import importlib.util
import logging
from typing import Any
import uuid

import pytest
from ws_driver import WSDriver

import lanner
import lanner.asgi
from lanner.errors import WebSocketDisconnected
from lanner.util.deprecation import DeprecatedWarning

needs_routing = pytest.mark.skipif(
    importlib.util.find_spec('lanner.routing') is None,
    reason='converters and suffixes need the compiled router (lanner-routing)',
)


class Echo:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    async def on_websocket(self, req: Any, ws: Any, **params: Any) -> None:
        self.calls.append((req.uri_template, params))
        await ws.accept()
        await ws.send_media(params, lanner.WebSocketPayloadType.TEXT)

    async def on_get(self, req: Any, resp: Any, **params: Any) -> None:
        resp.media = {'http': True}


async def handshake(app: Any, path: str, **kwargs: Any) -> WSDriver:
    async with WSDriver(app, path, **kwargs) as client:
        await client.wait_closed()
    return client


# ------------------------------------------------------------------ routing


async def test_websocket_routes_to_on_websocket_not_on_get(ws_app: Any) -> None:
    res = Echo()
    ws_app.add_route('/items/{item_id}', res)
    async with WSDriver(ws_app, '/items/42') as client:
        assert await client.receive_json() == {'item_id': '42'}
        await client.wait_closed()
    assert res.calls == [('/items/{item_id}', {'item_id': '42'})]
    assert client.close_code == 1000


async def test_no_route_closes_3404(ws_app: Any) -> None:
    ws_app.add_route('/here', Echo())
    client = await handshake(ws_app, '/elsewhere')
    assert not client.accepted
    assert (client.close_code, client.close_reason) == (3404, 'Not Found')


async def test_no_on_websocket_closes_3405(ws_app: Any) -> None:
    class HTTPOnly:
        async def on_get(self, req: Any, resp: Any) -> None:
            pass

    ws_app.add_route('/http', HTTPOnly())
    client = await handshake(ws_app, '/http')
    assert (client.close_code, client.close_reason) == (3405, 'Method Not Allowed')


def test_http_request_to_websocket_only_resource(ws_app: Any) -> None:
    from support.harness import Client

    class WSOnly:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()

    ws_app.add_route('/ws', WSOnly())
    result = Client(ws_app).get('/ws')
    assert result.status_code == 405


@needs_routing
async def test_converters_apply_to_websocket_routes(ws_app: Any) -> None:
    res = Echo()
    ws_app.add_route('/rooms/{room:int(min=1)}/{token:uuid}', res)
    token = uuid.uuid4()
    async with WSDriver(ws_app, f'/rooms/7/{token}') as client:
        await client.receive()
        await client.wait_closed()
    assert res.calls == [('/rooms/{room:int(min=1)}/{token:uuid}', {'room': 7, 'token': token})]
    # A converter that rejects the value means no route matched.
    client = await handshake(ws_app, f'/rooms/0/{token}')
    assert client.close_code == 3404


@needs_routing
async def test_suffixed_websocket_responders(ws_app: Any) -> None:
    class Feed:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            await ws.send_text('plain')

        async def on_websocket_live(self, req: Any, ws: Any, name: str) -> None:
            await ws.accept()
            await ws.send_text(f'live {name}')

    feed = Feed()
    ws_app.add_route('/feed', feed)
    ws_app.add_route('/feed/{name}/live', feed, suffix='live')
    async with WSDriver(ws_app, '/feed/news/live') as client:
        assert await client.receive_text() == 'live news'
    async with WSDriver(ws_app, '/feed') as client:
        assert await client.receive_text() == 'plain'


async def test_sink_with_ws_parameter(ws_app: Any) -> None:
    calls: list[Any] = []

    async def sink(req: Any, resp: Any, ws: Any = None, **groups: Any) -> None:
        calls.append((resp, groups))
        await ws.accept()
        await ws.send_text(f'sink {groups["rest"]}')

    ws_app.add_sink(sink, r'/sink/(?P<rest>.+)')
    async with WSDriver(ws_app, '/sink/a/b') as client:
        assert await client.receive_text() == 'sink a/b'
        await client.wait_closed()
    assert calls == [(None, {'rest': 'a/b'})]


async def test_sink_without_ws_parameter_is_deprecated(ws_app: Any) -> None:
    got: list[Any] = []

    async def old_sink(req: Any, resp: Any) -> None:
        got.append(resp)
        await resp.accept()

    ws_app.add_sink(old_sink, '/old')
    with pytest.warns(DeprecatedWarning, match='ws'):
        client = await handshake(ws_app, '/old')
    assert client.accepted
    assert got[0].__class__.__name__ == 'WebSocket'


async def test_routes_take_precedence_over_sinks(ws_app: Any) -> None:
    async def sink(req: Any, resp: Any, ws: Any = None) -> None:
        await ws.close(4999)

    res = Echo()
    ws_app.add_sink(sink, '/')
    ws_app.add_route('/r', res)
    client = await handshake(ws_app, '/r')
    assert client.close_code == 1000 and res.calls
    client = await handshake(ws_app, '/other')
    assert client.close_code == 4999


async def test_static_route_denies_websocket_with_3400(ws_app: Any, tmp_path: Any) -> None:
    (tmp_path / 'a.txt').write_text('x')
    ws_app.add_static_route('/static', str(tmp_path))
    client = await handshake(ws_app, '/static/a.txt')
    assert (client.close_code, client.close_reason) == (3400, 'Bad Request')


async def test_custom_router_without_websocket_responder(make_ws_app: Any) -> None:
    class Router:
        def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
            self.resource = resource

        def find(self, uri: str, req: Any = None) -> Any:
            return (self.resource, {'GET': self.resource.on_get}, {})  # legacy 3-tuple

    app = make_ws_app(router=Router())
    app.add_route('/x', Echo())
    client = await handshake(app, '/x')
    assert client.close_code == 3400


# ------------------------------------------------------------------ first event and scope


async def test_first_event_must_be_connect(ws_app: Any) -> None:
    res = Echo()
    ws_app.add_route('/', res)
    client = await handshake(ws_app, '/', first_event={'type': 'websocket.receive', 'text': 'x'})
    assert (client.close_code, client.close_reason) == (1011, 'Internal Server Error')
    assert res.calls == []


async def test_first_event_on_old_spec_has_no_reason(ws_app: Any) -> None:
    client = await handshake(
        ws_app, '/', first_event={'type': 'websocket.disconnect'}, spec_version='2.1'
    )
    assert client.close_event == {'type': 'websocket.close', 'code': 1011}


# ------------------------------------------------------------------ middleware


async def test_websocket_middleware_order_and_arguments(make_ws_app: Any) -> None:
    log: list[Any] = []

    class MW:
        def __init__(self, name: str) -> None:
            self.name = name

        async def process_request_ws(self, req: Any, ws: Any) -> None:
            log.append((self.name, 'request', req.path, ws.unaccepted))

        async def process_resource_ws(self, req: Any, ws: Any, resource: Any, params: Any) -> None:
            log.append((self.name, 'resource', type(resource).__name__, dict(params)))
            params['extra'] = self.name

        async def process_request(self, req: Any, resp: Any) -> None:
            log.append((self.name, 'http-only'))

    app = make_ws_app(middleware=[MW('a'), MW('b')])
    res = Echo()
    app.add_route('/m/{x}', res)
    async with WSDriver(app, '/m/1') as client:
        assert await client.receive_json() == {'x': '1', 'extra': 'b'}
    assert log == [
        ('a', 'request', '/m/1', True),
        ('b', 'request', '/m/1', True),
        ('a', 'resource', 'Echo', {'x': '1'}),
        ('b', 'resource', 'Echo', {'x': '1', 'extra': 'a'}),
    ]


async def test_process_resource_ws_not_called_without_route(ws_app: Any) -> None:
    log: list[str] = []

    class MW:
        async def process_request_ws(self, req: Any, ws: Any) -> None:
            log.append('request')

        async def process_resource_ws(self, req: Any, ws: Any, resource: Any, params: Any) -> None:
            log.append('resource')

    ws_app.add_middleware(MW())
    client = await handshake(ws_app, '/nowhere')
    assert log == ['request']
    assert client.close_code == 3404


async def test_middleware_denies_with_http_error(ws_app: Any) -> None:
    class Auth:
        async def process_request_ws(self, req: Any, ws: Any) -> None:
            if req.get_header('Authorization') != 'Bearer ok':
                raise lanner.HTTPForbidden()

    res = Echo()
    ws_app.add_middleware(Auth())
    ws_app.add_route('/', res)
    client = await handshake(ws_app, '/')
    assert not client.accepted
    assert (client.close_code, client.close_reason) == (3403, 'Forbidden')
    assert res.calls == []
    client = await handshake(ws_app, '/', headers={'Authorization': 'Bearer ok'})
    assert client.accepted and client.close_code == 1000


async def test_sync_ws_middleware_rejected(ws_app: Any) -> None:
    class Sync:
        def process_request_ws(self, req: Any, ws: Any) -> None:
            pass

    with pytest.raises(lanner.CompatibilityError):
        ws_app.add_middleware(Sync())


# ------------------------------------------------------------------ hooks


async def test_before_and_after_hooks_on_on_websocket(ws_app: Any) -> None:
    log: list[Any] = []

    async def before(req: Any, ws: Any, resource: Any, params: Any) -> None:
        log.append(('before', type(ws).__name__, dict(params)))
        params['name'] = params['name'].upper()

    async def after(req: Any, ws: Any, resource: Any) -> None:
        log.append(('after', ws.closed))

    class Hooked:
        @lanner.before(before)
        @lanner.after(after)
        async def on_websocket(self, req: Any, ws: Any, name: str) -> None:
            await ws.accept()
            await ws.send_text(f'hi {name}')

    ws_app.add_route('/h/{name}', Hooked())
    async with WSDriver(ws_app, '/h/ann') as client:
        assert await client.receive_text() == 'hi ANN'
        await client.wait_closed()
    assert log == [('before', 'WebSocket', {'name': 'ann'}), ('after', False)]


async def test_class_level_hook_denies(ws_app: Any) -> None:
    async def deny(req: Any, ws: Any, resource: Any, params: Any) -> None:
        raise lanner.HTTPUnauthorized()

    @lanner.before(deny)
    class Guarded:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()

    ws_app.add_route('/g', Guarded())
    client = await handshake(ws_app, '/g')
    assert (client.close_code, client.accepted) == (3401, False)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize('accept_first', [False, True])
@pytest.mark.parametrize(
    ('error', 'code'),
    [
        (lanner.HTTPBadRequest, 3400),
        (lanner.HTTPNotFound, 3404),
        (lanner.HTTPTooManyRequests, 3429),
        (lanner.HTTPInternalServerError, 3500),
    ],
)
async def test_http_errors_map_to_3000_plus_status(
    ws_app: Any, error: type[Exception], code: int, accept_first: bool
) -> None:
    class Failing:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            if accept_first:
                await ws.accept()
            raise error()

    ws_app.add_route('/', Failing())
    client = await handshake(ws_app, '/')
    assert client.accepted is accept_first
    assert client.close_code == code


async def test_http_status_maps_to_3000_plus_status(ws_app: Any) -> None:
    class Status:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            raise lanner.HTTPStatus(lanner.HTTP_410)

    ws_app.add_route('/', Status())
    client = await handshake(ws_app, '/')
    assert (client.close_code, client.close_reason) == (3410, 'Gone')


@pytest.mark.parametrize('accept_first', [False, True])
async def test_unhandled_exception_closes_1011_and_logs(
    ws_app: Any, lanner_logs: pytest.LogCaptureFixture, accept_first: bool
) -> None:
    class Broken:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            if accept_first:
                await ws.accept()
            raise KeyError('oops')

    ws_app.add_route('/', Broken())
    client = await handshake(ws_app, '/')
    assert (client.close_code, client.close_reason) == (1011, 'Internal Server Error')
    errors = [r for r in lanner_logs.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info and errors[0].exc_info[0] is KeyError


async def test_custom_error_close_code(ws_app: Any) -> None:
    ws_app.ws_options.error_close_code = 4500

    class Broken:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            raise RuntimeError

    ws_app.add_route('/', Broken())
    client = await handshake(ws_app, '/')
    assert client.close_code == 4500


async def test_unexpected_route_param_is_an_error(ws_app: Any) -> None:
    class NoParams:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()

    ws_app.add_route('/{x}', NoParams())
    client = await handshake(ws_app, '/1')
    assert client.close_code == 1011


async def test_error_handler_receives_ws(ws_app: Any) -> None:
    seen: list[Any] = []

    class RoomFull(Exception):
        pass

    async def handler(req: Any, resp: Any, ex: Exception, params: Any, ws: Any = None) -> None:
        seen.append((type(ex).__name__, resp, params, ws.unaccepted))
        await ws.close(4409, 'room is full')

    ws_app.add_error_handler(RoomFull, handler)

    class Room:
        async def on_websocket(self, req: Any, ws: Any, room: str) -> None:
            raise RoomFull()

    ws_app.add_route('/rooms/{room}', Room())
    client = await handshake(ws_app, '/rooms/a')
    assert seen == [('RoomFull', None, {'room': 'a'}, True)]
    assert (client.close_code, client.close_reason) == (4409, 'room is full')


async def test_error_handler_without_ws_param_and_no_close(ws_app: Any) -> None:
    seen: list[Any] = []

    async def handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        seen.append(type(ex))

    ws_app.add_error_handler(ValueError, handler)

    class Raises:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            raise ValueError

    ws_app.add_route('/', Raises())
    client = await handshake(ws_app, '/')
    assert seen == [ValueError]
    # The handler did not close the connection: the flow does (normal closure).
    assert client.close_code == 1000


async def test_error_handler_raising_http_error(ws_app: Any) -> None:
    async def handler(req: Any, resp: Any, ex: Exception, params: Any, ws: Any = None) -> None:
        raise lanner.HTTPForbidden()

    ws_app.add_error_handler(LookupError, handler)

    class Raises:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            raise KeyError

    ws_app.add_route('/', Raises())
    client = await handshake(ws_app, '/')
    assert client.close_code == 3403


async def test_user_handler_for_http_error_in_websocket_flow(ws_app: Any) -> None:
    async def handler(req: Any, resp: Any, ex: Exception, params: Any, ws: Any = None) -> None:
        await ws.close(4000 + ex.status_code % 1000)  # type: ignore[attr-defined]

    ws_app.add_error_handler(lanner.HTTPError, handler)
    client = await handshake(ws_app, '/missing')
    assert client.close_code == 4404


async def test_client_disconnect_is_not_an_error(
    ws_app: Any, lanner_logs: pytest.LogCaptureFixture
) -> None:
    class Reader:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            while True:
                await ws.receive_text()

    ws_app.add_route('/', Reader())
    async with WSDriver(ws_app, '/') as client:
        await client.wait_accepted()
        await client.disconnect(1001)
        await client.finished()
    assert client.close_event is None
    assert not [r for r in lanner_logs.records if r.levelno >= logging.WARNING]


async def test_user_handler_for_websocket_disconnected(ws_app: Any) -> None:
    seen: list[int] = []

    async def handler(req: Any, resp: Any, ex: Any, params: Any) -> None:
        seen.append(ex.code)

    ws_app.add_error_handler(WebSocketDisconnected, handler)

    class Reader:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            await ws.receive_text()

    ws_app.add_route('/', Reader())
    async with WSDriver(ws_app, '/') as client:
        await client.wait_accepted()
        await client.disconnect(4100)
        await client.finished()
    assert seen == [4100]


async def test_server_rejecting_1011_gets_3011(ws_app: Any) -> None:
    class Broken:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            raise RuntimeError('boom')

    ws_app.add_route('/', Broken())

    async def picky_server_app(scope: Any, receive: Any, send: Any) -> None:
        async def picky_send(message: Any) -> None:
            if message['type'] == 'websocket.close' and message['code'] == 1011:
                raise ValueError('invalid close code 1011')
            await send(message)

        await ws_app(scope, receive, picky_send)

    client = await handshake(picky_server_app, '/')
    assert (client.close_code, client.close_reason) == (3011, 'Internal Server Error')


async def test_sync_on_websocket_rejected_at_registration(ws_app: Any) -> None:
    class Sync:
        def on_websocket(self, req: Any, ws: Any) -> None:
            pass

    with pytest.raises(TypeError):
        ws_app.add_route('/', Sync())


async def test_unsupported_spec_and_http_versions(ws_app: Any) -> None:
    from ws_driver import build_ws_scope

    async def nothing() -> dict[str, Any]:
        raise AssertionError('must not be called')

    async def no_send(message: Any) -> None:
        raise AssertionError('must not be called')

    with pytest.raises(lanner.UnsupportedScopeError):
        await ws_app(build_ws_scope('/', spec_version='3.0'), nothing, no_send)
    with pytest.raises(lanner.UnsupportedError):
        await ws_app(build_ws_scope('/', http_version='1.0'), nothing, no_send)
