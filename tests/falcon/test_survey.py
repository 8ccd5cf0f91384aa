"""The most-used Falcon add-ons from PyPI, installed for real, on lanner apps.

The list of what was checked, and the status of each, is in docs/ecosystem.md.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip('lanner.routing', reason='the apps here route requests (lanner-routing)')

import falcon
import falcon.asgi


async def test_falcon_cors(send: Any, asgi: bool) -> None:
    if asgi:
        pytest.skip('falcon-cors is WSGI-only upstream (sync process_response)')
    CORS = pytest.importorskip('falcon_cors').CORS

    cors = CORS(allow_origins_list=['http://client.test'])
    app = falcon.App(middleware=[cors.middleware])

    class Hello:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.media = {'ok': True}

    app.add_route('/hello', Hello())
    response = await send(app, 'GET', '/hello', headers={'Origin': 'http://client.test'})
    assert response.headers['access-control-allow-origin'] == 'http://client.test'
    response = await send(app, 'GET', '/hello', headers={'Origin': 'http://other.test'})
    assert 'access-control-allow-origin' not in response.headers


async def test_spectree_validates_and_documents(send: Any, asgi: bool) -> None:
    BaseModel = pytest.importorskip('pydantic').BaseModel
    spectree = pytest.importorskip('spectree')
    Response, SpecTree = spectree.Response, spectree.SpecTree

    class Item(BaseModel):
        name: str
        qty: int

    api = SpecTree('falcon-asgi' if asgi else 'falcon', path='docs')

    if asgi:

        class Items:
            @api.validate(json=Item, resp=Response(HTTP_200=Item))
            async def on_post(self, req: Any, resp: Any, shelf: int) -> None:
                resp.media = req.context.json.model_dump()

        app: Any = falcon.asgi.App()
    else:

        class Items:  # type: ignore[no-redef]
            @api.validate(json=Item, resp=Response(HTTP_200=Item))
            def on_post(self, req: Any, resp: Any, shelf: int) -> None:
                resp.media = req.context.json.model_dump()

        app = falcon.App()
    app.add_route('/shelves/{shelf:int}/items', Items())
    api.register(app)

    ok = await send(app, 'POST', '/shelves/3/items', json={'name': 'nut', 'qty': 2})
    assert ok.status_code == 200 and ok.json() == {'name': 'nut', 'qty': 2}
    bad = await send(app, 'POST', '/shelves/3/items', json={'name': 'nut'})
    assert bad.status_code == 422
    spec = (await send(app, 'GET', '/docs/openapi.json')).json()
    assert '/shelves/{shelf}/items' in spec['paths']
    [param] = spec['paths']['/shelves/{shelf}/items']['post']['parameters']
    assert param['name'] == 'shelf' and param['schema']['type'] == 'integer'


async def test_swagger_ui(send: Any, asgi: bool) -> None:
    api_doc = pytest.importorskip('swagger_ui').api_doc

    app: Any = falcon.asgi.App() if asgi else falcon.App()
    spec = {'openapi': '3.0.0', 'info': {'title': 't', 'version': '1'}, 'paths': {}}
    api_doc(app, config=spec, url_prefix='/api/doc', title='API doc')
    page = await send(app, 'GET', '/api/doc')
    assert page.status_code == 200 and 'API doc' in page.text
    config = await send(app, 'GET', '/api/doc/swagger.json')
    assert config.json()['info']['title'] == 't'


def test_create_environ_remote_port_is_falcons() -> None:
    pytest.importorskip('lanner.testing', reason='falcon.testing is lanner-testing')
    import falcon.testing

    assert falcon.testing.create_environ()['REMOTE_PORT'] == '65133'


async def test_middleware_added_after_build_is_run(asgi: bool, send: Any) -> None:
    # The pattern add-ons use: append to _unprepared_middleware, re-prepare, assign _middleware.
    seen: list[str] = []

    class Late:
        def process_request(self, req: Any, resp: Any) -> None:
            seen.append(req.path)

    class AsyncLate:
        async def process_request(self, req: Any, resp: Any) -> None:
            seen.append(req.path)

    class Hello:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.text = 'hi'

    class AsyncHello:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.text = 'hi'

    app: Any = falcon.asgi.App() if asgi else falcon.App()
    app.add_route('/hi', AsyncHello() if asgi else Hello())
    app._unprepared_middleware.append(AsyncLate() if asgi else Late())
    app._middleware = app._prepare_middleware(
        app._unprepared_middleware, independent_middleware=app._independent_middleware
    )
    assert (await send(app, 'GET', '/hi')).text == 'hi'
    assert seen == ['/hi']
