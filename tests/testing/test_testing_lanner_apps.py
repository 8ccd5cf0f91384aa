"""The test tools against real lanner apps, WSGI and ASGI (the ``asgi``/``make_app`` fixtures
come from tests/conftest.py and use the fake router when lanner-routing is absent)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
from typing import Any
import unittest

import pytest

import lanner
from lanner import testing
from lanner.testing import ASGIConductor


class Inspect:
    """Echoes what the lanner Request saw."""

    def on_get(self, req: Any, resp: Any, **params: Any) -> None:
        resp.media = {
            'method': req.method,
            'path': req.path,
            'params': req.params,
            'host': req.host,
            'port': req.port,
            'scheme': req.scheme,
            'root_path': req.root_path,
            'remote_addr': req.remote_addr,
            'user_agent': req.user_agent,
            'cookies': req.cookies,
            'x_token': req.get_header('X-Token'),
            'uri': req.uri,
        }
        resp.set_cookie('seen', 'yes', path='/')

    def on_post(self, req: Any, resp: Any, **params: Any) -> None:
        resp.media = {'content_type': req.content_type, 'media': req.get_media()}


class InspectAsync:
    def __init__(self) -> None:
        self._sync = Inspect()

    async def on_get(self, req: Any, resp: Any, **params: Any) -> None:
        self._sync.on_get(req, resp, **params)

    async def on_post(self, req: Any, resp: Any, **params: Any) -> None:
        resp.media = {'content_type': req.content_type, 'media': await req.get_media()}


@pytest.fixture
def client(make_app: Callable[..., Any], asgi: bool) -> testing.TestClient:
    app = make_app()
    app.add_route('/inspect', InspectAsync() if asgi else Inspect())
    return testing.TestClient(app)


def test_request_attributes(client: testing.TestClient) -> None:
    result = client.simulate_get(
        '/inspect',
        params={'a': ['1', '2'], 'b': 'x y'},
        headers={'X-Token': 'abc'},
        host='example.com',
        port=8080,
        protocol='https',
        root_path='/api',
        cookies={'c': 'd'},
    )
    assert result.status_code == 200
    seen = result.json
    assert seen['method'] == 'GET'
    assert seen['path'] == '/inspect'
    assert seen['params'] == {'a': ['1', '2'], 'b': 'x y'}
    assert (seen['host'], seen['port'], seen['scheme']) == ('example.com', 8080, 'https')
    assert seen['root_path'] == '/api'
    assert seen['user_agent'] == testing.DEFAULT_UA
    assert seen['cookies'] == {'c': 'd'}
    assert seen['x_token'] == 'abc'
    assert seen['uri'] == 'https://example.com:8080/api/inspect?a=1&a=2&b=x%20y'
    assert result.cookies['seen'].value == 'yes'
    assert result.cookies['seen'].path == '/'
    assert result.cookies['seen'].secure is True
    assert result.cookies['seen'].http_only is True


def test_remote_addr(client: testing.TestClient) -> None:
    # create_scope hands the app one-shot iterators for client/server (ASGI only promises an
    # iterable); the request must still read them, and more than once.
    assert client.simulate_get('/inspect').json['remote_addr'] == '127.0.0.1'
    assert client.simulate_get('/inspect', remote_addr='10.2.3.4').json['remote_addr'] == (
        '10.2.3.4'
    )


def test_json_and_msgpack_bodies(client: testing.TestClient) -> None:
    result = client.simulate_post('/inspect', json={'k': ['v', 1]})
    assert result.json == {'content_type': 'application/json', 'media': {'k': ['v', 1]}}
    pytest.importorskip('msgpack')
    from lanner.media import MessagePackHandler

    # Like Falcon, MessagePack is not a default request media type: unregistered -> 415.
    assert client.simulate_post('/inspect', msgpack={'k': 2}).status_code == 415
    client.app.req_options.media_handlers['application/msgpack'] = MessagePackHandler()  # type: ignore[attr-defined]
    result = client.simulate_post('/inspect', msgpack={'k': 2})
    assert result.json == {'content_type': 'application/msgpack', 'media': {'k': 2}}


def test_errors_and_result_attributes(client: testing.TestClient) -> None:
    result = client.simulate_get('/missing')
    assert result.status == '404 Not Found'
    assert result.status_code == 404
    assert result.content_type == 'application/json'
    assert result.json == {'title': '404 Not Found'}
    assert result.encoding == 'UTF-8'
    assert client.simulate_delete('/inspect').status_code == 405
    assert 'GET' in client.simulate_delete('/inspect').headers['allow']


def test_head_and_options(client: testing.TestClient) -> None:
    assert client.simulate_head('/inspect').status_code == 405  # HEAD is not derived from GET
    options = client.simulate_options('/inspect')
    assert options.status_code == 200
    assert options.headers['Allow'] == 'GET, POST'


class TestSimpleTestResource:
    def test_captures_and_defaults(self, make_app: Callable[..., Any], asgi: bool) -> None:
        cls = testing.SimpleTestResourceAsync if asgi else testing.SimpleTestResource
        res = cls(status=lanner.HTTP_202, json={'ok': True}, headers={'X-Res': '1'})
        app = make_app()
        app.add_route('/things/{tid}', res)
        assert not res.called
        result = testing.simulate_get(app, '/things/42')
        assert res.called
        assert result.status_code == 202
        assert result.json == {'ok': True}
        assert result.headers['X-Res'] == '1'
        assert res.captured_kwargs == {'tid': '42'}
        assert res.captured_req.path == '/things/42'
        assert res.captured_resp is not None
        assert res.captured_req_body is None and res.captured_req_media is None

    def test_captures_body_and_media(self, make_app: Callable[..., Any], asgi: bool) -> None:
        cls = testing.SimpleTestResourceAsync if asgi else testing.SimpleTestResource
        res = cls(body='plain')
        app = make_app()
        app.add_route('/', res)
        result = testing.simulate_post(
            app, '/', body=b'abcdef', headers={'capture-req-body-bytes': '4'}
        )
        assert result.text == 'plain'
        assert res.captured_req_body == b'abcd'
        testing.simulate_post(app, '/', json={'m': 1}, headers={'capture-req-media': 'y'})
        assert res.captured_req_media == {'m': 1}

    def test_json_and_body_are_exclusive(self) -> None:
        with pytest.raises(ValueError, match='not both'):
            testing.SimpleTestResource(body='x', json={})

    def test_hooks_work_with_lanner_before(self, make_app: Callable[..., Any], asgi: bool) -> None:
        res = HookedAsync() if asgi else Hooked()
        app = make_app()
        app.add_route('/r/{rid}', res)
        result = testing.simulate_put(app, '/r/7')
        assert (result.status_code, result.text) == (201, 'made')
        assert result.headers['X-H'] == '1'
        assert res.captured_req.method == 'PUT'
        assert res.captured_kwargs == {'rid': '7'}


class Hooked:
    _default_status = lanner.HTTP_201
    _default_body = 'made'
    _default_headers = (('X-H', '1'),)

    @lanner.before(testing.capture_responder_args)
    @lanner.before(testing.set_resp_defaults)
    def on_put(self, req: Any, resp: Any, rid: str) -> None:
        pass


class HookedAsync(Hooked):
    @lanner.before(testing.capture_responder_args_async)
    @lanner.before(testing.set_resp_defaults_async)
    async def on_put(self, req: Any, resp: Any, rid: str) -> None:  # type: ignore[override]
        pass


class TestConductor:
    @pytest.fixture
    def asgi(self) -> bool:
        return True

    async def test_lifespan_and_requests(self, make_app: Callable[..., Any]) -> None:
        calls: list[str] = []

        class Lifespan:
            async def process_startup(self, scope: Any, event: Any) -> None:
                calls.append('startup')

            async def process_shutdown(self, scope: Any, event: Any) -> None:
                calls.append('shutdown')

        app = make_app(middleware=[Lifespan()])
        app.add_route('/inspect', InspectAsync())
        async with testing.TestClient(app, headers={'X-Token': 'dflt'}) as conductor:
            assert isinstance(conductor, ASGIConductor)
            assert calls == ['startup']
            first = await conductor.simulate_get('/inspect')
            second = await conductor.get('/inspect', headers={'X-Token': 'own'})
            posted = await conductor.simulate_post('/inspect', json=[1])
            assert calls == ['startup']  # requests are not one-shot
        assert calls == ['startup', 'shutdown']
        assert first.json['x_token'] == 'dflt'
        assert second.json['x_token'] == 'own'
        assert posted.json['media'] == [1]
        for name in ('head', 'options', 'patch', 'put', 'delete', 'request'):
            assert callable(getattr(conductor, name))

    async def test_startup_failure_and_block_errors(self, make_app: Callable[..., Any]) -> None:
        calls: list[str] = []

        class Fails:
            async def process_startup(self, scope: Any, event: Any) -> None:
                raise OSError('database down')

        with pytest.raises(RuntimeError, match='database down'):
            async with ASGIConductor(make_app(middleware=[Fails()])):
                pass

        class Tracks:
            async def process_shutdown(self, scope: Any, event: Any) -> None:
                calls.append('shutdown')

        conductor = ASGIConductor(make_app(middleware=[Tracks()]))
        with pytest.raises(ZeroDivisionError):
            async with conductor:
                1 / 0  # noqa: B018
        assert calls == []  # shutdown is skipped when the block raises
        # ... and the lifespan task is cancelled (Falcon's private name for it).
        assert conductor._lifespan_task is not None and conductor._lifespan_task.cancelled()

    async def test_streamed_body_arrives_whole(self, make_app: Callable[..., Any]) -> None:
        # The simulated client stays connected while the app streams (it used to disconnect
        # once the request body was sent, which cut the stream short).
        class Lines:
            async def on_get(self, req: Any, resp: Any) -> None:
                async def lines() -> Any:
                    for word in ('One', 'Two', 'Three'):
                        yield f'{word}\n'.encode()

                resp.stream = lines()

        app = make_app()
        app.add_route('/', Lines())
        async with ASGIConductor(app) as conductor:
            result = await conductor.simulate_get('/')
        assert result.text == 'One\nTwo\nThree\n'

    async def test_simulate_get_stream(self, make_app: Callable[..., Any]) -> None:
        release = asyncio.Event()
        finished: list[bool] = []

        class Ticker:
            async def on_get(self, req: Any, resp: Any) -> None:
                async def chunks() -> Any:
                    try:
                        yield b'first;'
                        await release.wait()
                        yield b'second;'
                        while True:
                            await asyncio.sleep(0.001)
                            yield b'more;'
                    finally:
                        finished.append(True)

                resp.content_type = 'text/plain'
                resp.stream = chunks()

        app = make_app()
        app.add_route('/tick', Ticker())
        async with ASGIConductor(app) as conductor:
            async with conductor.simulate_get_stream('/tick') as result:
                assert result.status_code == 200
                assert result.content_type == 'text/plain'
                assert result.encoding == 'ISO-8859-1'
                assert await result.stream.read() == b'first;'
                assert await result.stream.read() == b''
                release.set()
                data = b''
                while b'more;' not in data:
                    data += await result.stream.read()
                assert data.startswith(b'second;')
        assert finished == [True]

    async def test_sse(self, make_app: Callable[..., Any]) -> None:
        pytest.importorskip('lanner.sse')
        from lanner.asgi import SSEvent

        class Events:
            async def on_get(self, req: Any, resp: Any) -> None:
                async def emitter() -> Any:
                    yield SSEvent(text='one')
                    yield SSEvent(json={'n': 2}, event='num')

                resp.sse = emitter()

        app = make_app()
        app.add_route('/events', Events())
        async with ASGIConductor(app) as conductor:
            result = await conductor.simulate_get('/events')
        assert result.content_type == 'text/event-stream'
        assert result.encoding == 'UTF-8'
        first, second, end = result.text.split('\n\n')
        assert first == 'data: one'
        assert second.startswith('event: num\ndata: ')
        assert json.loads(second.split('data: ', 1)[1]) == {'n': 2}
        assert end == ''

    async def test_endless_event_stream_is_left_once_started(
        self, make_app: Callable[..., Any]
    ) -> None:
        # As Falcon's client: simulate_get leaves an event stream at once and returns what
        # was sent before the app noticed, instead of waiting for an end that never comes.
        pytest.importorskip('lanner.sse')
        from lanner.asgi import SSEvent

        class Endless:
            async def on_get(self, req: Any, resp: Any) -> None:
                async def emitter() -> Any:
                    while True:
                        yield SSEvent(data=b'tick')
                        await asyncio.sleep(0.01)

                resp.sse = emitter()

        app = make_app()
        app.add_route('/events', Endless())
        async with ASGIConductor(app, timeout=5) as conductor:
            result = await conductor.simulate_get('/events')
        assert result.text.startswith('data: tick\n\n')


class UnittestStyle(testing.TestCase):
    def setUp(self) -> None:
        super().setUp()
        import importlib.util

        if importlib.util.find_spec('lanner.routing') is None:
            from support.simple_router import SimpleRouter

            self.app = lanner.App(router=SimpleRouter())
        self.resource = testing.SimpleTestResource(body='hi')
        self.app.add_route('/hi', self.resource)

    def test_simulate(self) -> None:
        result = self.simulate_get('/hi')
        self.assertEqual(result.text, 'hi')
        self.assertEqual(self.simulate_post('/hi').status_code, 200)
        self.assertTrue(self.resource.called)

    def test_fresh_app_per_test(self) -> None:
        self.assertEqual(self.simulate_get('/nope').status_code, 404)


def test_test_case_is_collected_and_runs() -> None:
    assert testing.TestCase.__test__ is True
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(UnittestStyle)
    outcome = unittest.TestResult()
    suite.run(outcome)
    assert outcome.testsRun == 2
    assert outcome.wasSuccessful(), outcome.errors + outcome.failures
