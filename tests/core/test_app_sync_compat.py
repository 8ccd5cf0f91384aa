"""Sync/async mismatches are reported clearly; lanner.util.sync helpers work inside apps."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from support.harness import Client, resource

import lanner
from lanner.util.sync import async_to_sync, sync_to_async, wrap_sync_to_async


class SyncResource:
    def on_get(self, req: Any, resp: Any) -> None:
        pass


class AsyncResource:
    async def on_get(self, req: Any, resp: Any) -> None:
        pass


def sync_sink(req: Any, resp: Any) -> None:
    pass


async def async_sink(req: Any, resp: Any) -> None:
    pass


def test_responder_flavour(make_app: Any, asgi: bool) -> None:
    app = make_app()
    with pytest.raises(TypeError, match='async def' if asgi else 'coroutine function'):
        app.add_route('/', SyncResource() if asgi else AsyncResource())


def test_sink_flavour(make_app: Any, asgi: bool) -> None:
    app = make_app()
    with pytest.raises(lanner.CompatibilityError, match='sink'):
        app.add_sink(sync_sink if asgi else async_sink, '/s')


def test_async_callable_object_sink_is_accepted_on_asgi(make_app: Any, asgi: bool) -> None:
    class Sink:
        async def __call__(self, req: Any, resp: Any, **kwargs: Any) -> None:
            resp.text = 'object sink'

    class SyncSink:
        def __call__(self, req: Any, resp: Any, **kwargs: Any) -> None:
            resp.text = 'object sink'

    app = make_app()
    app.add_sink(Sink() if asgi else SyncSink(), '/s')
    assert Client(app).get('/s/x').text == 'object sink'


def test_sync_sink_wrapped_with_the_escape_hatch(
    make_app: Any, asgi: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not asgi:
        pytest.skip('ASGI only')
    monkeypatch.setenv('FALCON_ASGI_WRAP_NON_COROUTINES', '1')
    threads: list[int] = []

    def sink(req: Any, resp: Any, **kwargs: Any) -> None:
        threads.append(threading.get_ident())
        resp.text = 'wrapped'

    app = make_app()
    app.add_sink(sink, '/s')
    assert Client(app).get('/s').text == 'wrapped'
    assert threads and threads[0] != threading.get_ident()  # ran in the executor


def test_sync_responder_wrapped_with_the_escape_hatch(
    make_app: Any, asgi: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not asgi:
        pytest.skip('ASGI only')
    monkeypatch.setenv('FALCON_ASGI_WRAP_NON_COROUTINES', 'Y')
    threads: list[int] = []

    class Sync:
        def on_get(self, req: Any, resp: Any) -> None:
            threads.append(threading.get_ident())
            resp.text = 'wrapped responder'

    app = make_app()
    app.add_route('/r', Sync())
    assert Client(app).get('/r').text == 'wrapped responder'
    assert threads and threads[0] != threading.get_ident()  # ran in the executor


def test_middleware_flavour_messages(make_app: Any, asgi: bool) -> None:
    class Sync:
        def process_request(self, req: Any, resp: Any) -> None:
            pass

    class Async:
        async def process_request(self, req: Any, resp: Any) -> None:
            pass

    with pytest.raises(lanner.CompatibilityError) as info:
        make_app(middleware=Sync() if asgi else Async())
    message = str(info.value)
    if asgi:
        assert 'Sync.process_request must be a coroutine function' in message
        assert 'process_request_async' in message  # says how to write a dual-mode component
    else:
        assert 'Async.process_request is a coroutine function' in message


def test_hook_flavour_messages() -> None:
    def sync_action(req: Any, resp: Any, resource: Any, params: Any) -> None:
        pass

    async def async_action(req: Any, resp: Any, resource: Any, params: Any) -> None:
        pass

    with pytest.raises(lanner.CompatibilityError, match='async def'):

        class A:
            @lanner.before(sync_action)
            async def on_get(self, req: Any, resp: Any) -> None:
                pass

    with pytest.raises(lanner.CompatibilityError, match='plain "def"'):

        class B:
            @lanner.before(async_action)
            def on_get(self, req: Any, resp: Any) -> None:
                pass


def test_sync_to_async_in_an_asgi_responder(make_app: Any, asgi: bool) -> None:
    if not asgi:
        pytest.skip('ASGI only')
    main_thread = threading.get_ident()

    def blocking(value: int) -> tuple[int, int]:
        return value * 2, threading.get_ident()

    wrapped = wrap_sync_to_async(blocking)

    class Res:
        async def on_get(self, req: Any, resp: Any) -> None:
            doubled, thread = await sync_to_async(blocking, 21)
            again, _ = await wrapped(1)
            resp.media = {'value': doubled, 'again': again, 'other_thread': thread != main_thread}

    app = make_app()
    app.add_route('/', Res())
    assert Client(app).get('/').json == {'value': 42, 'again': 2, 'other_thread': True}


def test_async_to_sync_in_a_wsgi_responder(make_app: Any, asgi: bool) -> None:
    if asgi:
        pytest.skip('WSGI only')

    async def fetch(value: str) -> str:
        return value.upper()

    def on_get(req: Any, resp: Any) -> None:
        resp.text = async_to_sync(fetch, 'sync')

    app = make_app()
    app.add_route('/', resource(False, on_get=on_get))
    assert Client(app).get('/').text == 'SYNC'


async def test_falcon_asgi_call_wrapper_makes_a_coroutine_function() -> None:
    import inspect

    from lanner.asgi._asgi_helpers import _wrap_asgi_coroutine_func

    class Indirect:
        def call(self, scope: Any, receive: Any, send: Any) -> Any:
            return self._run(send)  # returns a coroutine without being a coroutine function

        async def _run(self, send: Any) -> None:
            await send('done')

        __call__ = _wrap_asgi_coroutine_func(call)

    sent: list[str] = []

    async def send(message: str) -> None:
        sent.append(message)

    assert inspect.iscoroutinefunction(Indirect.__call__)
    await Indirect()({}, None, send)
    assert sent == ['done']

    async def already(self: Any, scope: Any, receive: Any, send: Any) -> None:
        pass

    assert _wrap_asgi_coroutine_func(already) is already
