"""The benchmark scenarios written for Starlette (ASGI only), as its documentation suggests.

Same routes, statuses and bodies as ``scenarios.build``. The no-op middleware are pure ASGI
middleware, Starlette's fastest kind (``BaseHTTPMiddleware`` would be slower).
"""

from __future__ import annotations

from typing import Any

from scenarios import BIG_DOC, PAYLOAD_1K, REQUEST_HEADERS_3, RESPONSE_HEADERS_10, TWENTY_HEADERS
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse('Hello, World!')


async def item(request: Request) -> JSONResponse:
    params = request.path_params
    return JSONResponse({'user': params['user_id'], 'item': params['item_id']})


async def query(request: Request) -> JSONResponse:
    q = request.query_params
    try:
        limit = int(q.get('limit', 10))
    except ValueError:
        raise HTTPException(400, 'limit must be an integer') from None
    return JSONResponse({'q': q.get('q'), 'limit': limit, 'tags': q.getlist('tag') or None})


async def echo(request: Request) -> JSONResponse:
    doc = await request.json()
    return JSONResponse({'received': len(doc['items'])})


async def headers(request: Request) -> JSONResponse:
    return JSONResponse({'ua': request.headers.get('user-agent'), 'n': len(request.headers)})


async def header_echo(request: Request) -> PlainTextResponse:
    h = request.headers
    request_id = h.get('x-request-id')
    ua = h.get('user-agent')
    accept = h.get('accept')
    out = {name: value or request_id for name, value in RESPONSE_HEADERS_10}
    return PlainTextResponse(f'{ua} {accept}', headers=out)


async def bad(request: Request) -> None:
    raise HTTPException(400, 'The thing was invalid.')


async def big(request: Request) -> JSONResponse:
    return JSONResponse(BIG_DOC)


class Noop:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def build(fw: Any, asgi: bool) -> dict[str, tuple[Any, dict[str, Any]]]:
    if not asgi:
        return {}

    def app_with(*routes: tuple[str, Any], middleware: int = 0) -> Starlette:
        return Starlette(
            routes=[Route(path, endpoint, methods=['GET', 'POST']) for path, endpoint in routes],
            middleware=[Middleware(Noop) for _ in range(middleware)],
        )

    many = [
        (f'/api/v1/section{i}/users/{{user_id}}/things{i}/{{item_id}}', item) for i in range(49)
    ]
    many.insert(30, ('/api/v1/users/{user_id:int}/items/{item_id}', item))
    hello_app = app_with(('/hello', hello))
    return {
        'hello': (hello_app, dict(method='GET', path='/hello')),
        'path_params_50_routes': (
            app_with(*many),
            dict(method='GET', path='/api/v1/users/42/items/abc-123'),
        ),
        'query_params': (
            app_with(('/search', query)),
            dict(method='GET', path='/search', query='q=falcon+lanner&limit=25&tag=a&tag=b&tag=c'),
        ),
        'json_post_1k': (
            app_with(('/echo', echo)),
            dict(
                method='POST',
                path='/echo',
                body=PAYLOAD_1K,
                headers=[('content-type', 'application/json')],
            ),
        ),
        'headers_20': (
            app_with(('/headers', headers)),
            dict(method='GET', path='/headers', headers=TWENTY_HEADERS),
        ),
        'headers_3_in_10_out': (
            app_with(('/gateway', header_echo)),
            dict(method='GET', path='/gateway', headers=REQUEST_HEADERS_3),
        ),
        'not_found_404': (hello_app, dict(method='GET', path='/nothing/here')),
        'middleware_3_noop': (
            app_with(('/hello', hello), middleware=3),
            dict(method='GET', path='/hello'),
        ),
        'raised_400': (app_with(('/bad', bad)), dict(method='GET', path='/bad')),
        'json_response_64k': (app_with(('/big', big)), dict(method='GET', path='/big')),
    }
