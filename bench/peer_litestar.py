"""The benchmark scenarios written for Litestar (ASGI only), as its documentation suggests.

Same routes, statuses and bodies as ``scenarios.build``. OpenAPI generation is off (it is not
part of answering a request), and the no-op middleware are plain ASGI middleware factories.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.exceptions import HTTPException
from scenarios import BIG_DOC, PAYLOAD_1K, REQUEST_HEADERS_3, RESPONSE_HEADERS_10, TWENTY_HEADERS


async def hello() -> str:
    return 'Hello, World!'


async def item(user_id: str, item_id: str) -> dict[str, Any]:
    return {'user': user_id, 'item': item_id}


async def typed_item(user_id: int, item_id: str) -> dict[str, Any]:
    return {'user': user_id, 'item': item_id}


async def query(
    q: str | None = None, limit: int = 10, tag: list[str] | None = None
) -> dict[str, Any]:
    return {'q': q, 'limit': limit, 'tags': tag}


async def echo(data: dict[str, Any]) -> dict[str, Any]:
    return {'received': len(data['items'])}


async def headers(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {'ua': request.headers.get('user-agent'), 'n': len(request.headers)}


async def header_echo(request: Request[Any, Any, Any]) -> Response[str]:
    h = request.headers
    request_id = h.get('x-request-id')
    ua = h.get('user-agent')
    accept = h.get('accept')
    out = {name: value or request_id for name, value in RESPONSE_HEADERS_10}
    return Response(f'{ua} {accept}', media_type=MediaType.TEXT, headers=out)


async def bad() -> None:
    raise HTTPException(status_code=400, detail='The thing was invalid.')


async def big() -> dict[str, Any]:
    return BIG_DOC


def noop(app: Any) -> Any:
    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)

    return middleware


def build(fw: Any, asgi: bool) -> dict[str, tuple[Any, dict[str, Any]]]:
    if not asgi:
        return {}

    def app_with(*handlers: Any, middleware: int = 0) -> Litestar:
        return Litestar(route_handlers=list(handlers), middleware=[noop] * middleware,
                        openapi_config=None, debug=False)  # fmt: skip

    many = [
        get(f'/api/v1/section{i}/users/{{user_id:str}}/things{i}/{{item_id:str}}')(item)
        for i in range(49)
    ]
    many.insert(30, get('/api/v1/users/{user_id:int}/items/{item_id:str}')(typed_item))
    hello_app = app_with(get('/hello', media_type=MediaType.TEXT)(hello))
    return {
        'hello': (hello_app, dict(method='GET', path='/hello')),
        'path_params_50_routes': (
            app_with(*many),
            dict(method='GET', path='/api/v1/users/42/items/abc-123'),
        ),
        'query_params': (
            app_with(get('/search')(query)),
            dict(method='GET', path='/search', query='q=falcon+lanner&limit=25&tag=a&tag=b&tag=c'),
        ),
        'json_post_1k': (
            app_with(post('/echo', status_code=200)(echo)),
            dict(
                method='POST',
                path='/echo',
                body=PAYLOAD_1K,
                headers=[('content-type', 'application/json')],
            ),
        ),
        'headers_20': (
            app_with(get('/headers')(headers)),
            dict(method='GET', path='/headers', headers=TWENTY_HEADERS),
        ),
        'headers_3_in_10_out': (
            app_with(get('/gateway')(header_echo)),
            dict(method='GET', path='/gateway', headers=REQUEST_HEADERS_3),
        ),
        'not_found_404': (hello_app, dict(method='GET', path='/nothing/here')),
        'middleware_3_noop': (
            app_with(get('/hello', media_type=MediaType.TEXT)(hello), middleware=3),
            dict(method='GET', path='/hello'),
        ),
        'raised_400': (app_with(get('/bad')(bad)), dict(method='GET', path='/bad')),
        'json_response_64k': (app_with(get('/big')(big)), dict(method='GET', path='/big')),
    }
