"""lanner apps work with httpx's in-process transports (ASGITransport / WSGITransport)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

httpx = pytest.importorskip('httpx')


class Items:
    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def on_get(self, req: Any, resp: Any, name: str) -> None:
        if name not in self.items:
            import lanner

            raise lanner.HTTPNotFound(description=f'no item {name!r}')
        resp.media = self.items[name]
        resp.set_header('X-Seen-Host', req.host)

    def on_put(self, req: Any, resp: Any, name: str) -> None:
        self.items[name] = req.get_media()
        resp.status = 201
        resp.set_cookie('last', name, secure=False)


class ItemsAsync(Items):
    async def on_get(self, req: Any, resp: Any, name: str) -> None:  # type: ignore[override]
        super().on_get(req, resp, name)

    async def on_put(self, req: Any, resp: Any, name: str) -> None:  # type: ignore[override]
        self.items[name] = await req.get_media()
        resp.status = 201
        resp.set_cookie('last', name, secure=False)


@pytest.mark.parametrize('asgi', [False], ids=['wsgi'])
def test_wsgi_transport(make_app: Callable[..., Any]) -> None:
    app = make_app()
    app.add_route('/items/{name}', Items())
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url='http://testserver') as client:
        created = client.put('/items/a', json={'v': 1})
        assert created.status_code == 201
        assert created.cookies['last'] == 'a'
        fetched = client.get('/items/a')
        assert fetched.json() == {'v': 1}
        assert fetched.headers['x-seen-host'] == 'testserver'
        missing = client.get('/items/zzz')
        assert missing.status_code == 404
        assert missing.json()['description'] == "no item 'zzz'"


@pytest.mark.parametrize('asgi', [True], ids=['asgi'])
async def test_asgi_transport(make_app: Callable[..., Any]) -> None:
    app = make_app()
    app.add_route('/items/{name}', ItemsAsync())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url='http://testserver') as client:
        created = await client.put('/items/b', json=[1, 2])
        assert created.status_code == 201
        fetched = await client.get('/items/b')
        assert fetched.json() == [1, 2]
        assert fetched.headers['content-type'] == 'application/json'
        assert (await client.get('/items/zzz')).status_code == 404


@pytest.mark.parametrize('asgi', [False], ids=['wsgi'])
def test_same_answers_as_the_test_client(make_app: Callable[..., Any]) -> None:
    from lanner import testing

    app = make_app()
    app.add_route('/items/{name}', Items())
    testing.simulate_put(app, '/items/c', json={'c': True})
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url='http://x') as client:
        via_httpx = client.get('/items/c')
    via_lanner = testing.simulate_get(app, '/items/c')
    assert via_httpx.status_code == via_lanner.status_code == 200
    assert via_httpx.json() == via_lanner.json == {'c': True}
