"""The benchmark scenarios written for BlackSheep (ASGI only), as its documentation suggests.

Same routes, statuses and bodies as ``scenarios.build``. A BlackSheep application must be
started before it serves requests; each spec carries that as ``startup``.
"""

from __future__ import annotations

from typing import Any

from blacksheep import Application, Request, Response, json, text
from blacksheep.exceptions import BadRequest
from blacksheep.server.routing import Router
from scenarios import BIG_DOC, PAYLOAD_1K, REQUEST_HEADERS_3, RESPONSE_HEADERS_10, TWENTY_HEADERS

_RESPONSE_HEADERS = [(name.encode(), value.encode()) for name, value in RESPONSE_HEADERS_10]


async def hello() -> Response:
    return text('Hello, World!')


async def item(user_id: str, item_id: str) -> Response:
    return json({'user': user_id, 'item': item_id})


async def typed_item(user_id: int, item_id: str) -> Response:
    return json({'user': user_id, 'item': item_id})


async def query(request: Request) -> Response:
    q = request.query
    try:
        limit = int(q['limit'][0]) if 'limit' in q else 10
    except ValueError:
        raise BadRequest('limit must be an integer') from None
    return json({'q': q['q'][0] if 'q' in q else None, 'limit': limit, 'tags': q.get('tag')})


async def echo(request: Request) -> Response:
    doc = await request.json()
    return json({'received': len(doc['items'])})


async def headers(request: Request) -> Response:
    ua = request.get_first_header(b'user-agent').decode()
    return json({'ua': ua, 'n': len(request.headers.keys())})


async def header_echo(request: Request) -> Response:
    request_id = request.get_first_header(b'x-request-id')
    ua = request.get_first_header(b'user-agent').decode()
    accept = request.get_first_header(b'accept').decode()
    response = text(f'{ua} {accept}')
    for name, value in _RESPONSE_HEADERS:
        response.add_header(name, value or request_id)
    return response


async def bad() -> Response:
    raise BadRequest('The thing was invalid.')


async def big() -> Response:
    return json(BIG_DOC)


async def noop(request: Request, handler: Any) -> Response:
    return await handler(request)


def build(fw: Any, asgi: bool) -> dict[str, tuple[Any, dict[str, Any]]]:
    if not asgi:
        return {}

    def app_with(*routes: tuple[str, str, Any], middleware: int = 0) -> Application:
        # Each app gets its own router: Application() without one shares a module-level default.
        app = Application(router=Router(), show_error_details=False)
        for method, path, handler in routes:
            app.router.add(method, path, handler)
        app.middlewares.extend([noop] * middleware)
        return app

    def spec(app: Application, **request: Any) -> tuple[Application, dict[str, Any]]:
        return app, dict(request, startup=app.start)

    many = [
        ('GET', f'/api/v1/section{i}/users/{{user_id}}/things{i}/{{item_id}}', item)
        for i in range(49)
    ]
    many.insert(30, ('GET', '/api/v1/users/{int:user_id}/items/{item_id}', typed_item))
    hello_app = app_with(('GET', '/hello', hello))
    return {
        'hello': spec(hello_app, method='GET', path='/hello'),
        'path_params_50_routes': spec(
            app_with(*many), method='GET', path='/api/v1/users/42/items/abc-123'
        ),
        'query_params': spec(
            app_with(('GET', '/search', query)),
            method='GET',
            path='/search',
            query='q=falcon+lanner&limit=25&tag=a&tag=b&tag=c',
        ),
        'json_post_1k': spec(
            app_with(('POST', '/echo', echo)),
            method='POST',
            path='/echo',
            body=PAYLOAD_1K,
            headers=[('content-type', 'application/json')],
        ),
        'headers_20': spec(
            app_with(('GET', '/headers', headers)),
            method='GET',
            path='/headers',
            headers=TWENTY_HEADERS,
        ),
        'headers_3_in_10_out': spec(
            app_with(('GET', '/gateway', header_echo)),
            method='GET',
            path='/gateway',
            headers=REQUEST_HEADERS_3,
        ),
        'not_found_404': spec(hello_app, method='GET', path='/nothing/here'),
        'middleware_3_noop': spec(
            app_with(('GET', '/hello', hello), middleware=3), method='GET', path='/hello'
        ),
        'raised_400': spec(app_with(('GET', '/bad', bad)), method='GET', path='/bad'),
        'json_response_64k': spec(app_with(('GET', '/big', big)), method='GET', path='/big'),
    }
