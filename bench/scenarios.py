"""The ten benchmark scenarios, written once against a Falcon-compatible framework module.

``build(fw, asgi)`` returns ``{name: (app, request_spec)}`` where ``fw`` is ``lanner`` or
``falcon`` (imported by the worker). Both frameworks run the same application code: that is the
point of ``import lanner as falcon``.
"""

from __future__ import annotations

import json
from typing import Any

PAYLOAD_1K = json.dumps(
    {'id': 1234, 'name': 'x' * 40, 'tags': ['alpha', 'beta', 'gamma'], 'items': list(range(200))}
).encode()
assert 900 <= len(PAYLOAD_1K) <= 1100, len(PAYLOAD_1K)

BIG_DOC = {
    'rows': [
        {'id': i, 'name': f'row-{i:05d}', 'score': i * 0.5, 'ok': i % 2 == 0} for i in range(1100)
    ]
}

# headers_3_in_10_out: what an API gateway-style handler does with headers.
REQUEST_HEADERS_3 = [
    ('user-agent', 'bench/1.0'),
    ('accept', 'application/json'),
    ('x-request-id', '0f8fad5b-d9cb-469f-a165-70867728950e'),
]
RESPONSE_HEADERS_10 = [
    ('Cache-Control', 'no-store'),
    ('X-Request-Id', ''),  # echoed from the request
    ('X-Frame-Options', 'DENY'),
    ('X-Content-Type-Options', 'nosniff'),
    ('Referrer-Policy', 'no-referrer'),
    ('Strict-Transport-Security', 'max-age=63072000; includeSubDomains'),
    ('Content-Security-Policy', "default-src 'none'"),
    ('X-RateLimit-Limit', '1000'),
    ('X-RateLimit-Remaining', '999'),
    ('Vary', 'Accept'),
]

TWENTY_HEADERS = [(f'x-custom-header-{i}', f'value-{i}-' + 'v' * 20) for i in range(17)] + [
    ('accept', 'application/json'),
    ('user-agent', 'bench/1.0'),
    ('accept-encoding', 'gzip, deflate'),
]


def _resources(fw: Any, asgi: bool) -> dict[str, Any]:
    if asgi:

        class Hello:
            async def on_get(self, req, resp):
                resp.content_type = fw.MEDIA_TEXT
                resp.text = 'Hello, World!'

        class Item:
            async def on_get(self, req, resp, user_id, item_id):
                resp.media = {'user': user_id, 'item': item_id}

        class Query:
            async def on_get(self, req, resp):
                limit = req.get_param_as_int('limit', default=10)
                resp.media = {
                    'q': req.get_param('q'),
                    'limit': limit,
                    'tags': req.get_param_as_list('tag'),
                }

        class Echo:
            async def on_post(self, req, resp):
                doc = await req.get_media()
                resp.media = {'received': len(doc['items'])}

        class Headers:
            async def on_get(self, req, resp):
                resp.media = {'ua': req.get_header('User-Agent'), 'n': len(req.headers)}

        class HeaderEcho:
            async def on_get(self, req, resp):
                request_id = req.get_header('X-Request-Id')
                ua = req.get_header('User-Agent')
                accept = req.get_header('Accept')
                for name, value in RESPONSE_HEADERS_10:
                    resp.set_header(name, value or request_id)
                resp.content_type = fw.MEDIA_TEXT
                resp.text = f'{ua} {accept}'

        class Bad:
            async def on_get(self, req, resp):
                raise fw.HTTPBadRequest(title='Invalid thing', description='The thing was invalid.')

        class Big:
            async def on_get(self, req, resp):
                resp.media = BIG_DOC

        class Noop:
            async def process_request(self, req, resp):
                pass

            async def process_resource(self, req, resp, resource, params):
                pass

            async def process_response(self, req, resp, resource, req_succeeded):
                pass
    else:

        class Hello:  # type: ignore[no-redef]
            def on_get(self, req, resp):
                resp.content_type = fw.MEDIA_TEXT
                resp.text = 'Hello, World!'

        class Item:  # type: ignore[no-redef]
            def on_get(self, req, resp, user_id, item_id):
                resp.media = {'user': user_id, 'item': item_id}

        class Query:  # type: ignore[no-redef]
            def on_get(self, req, resp):
                limit = req.get_param_as_int('limit', default=10)
                resp.media = {
                    'q': req.get_param('q'),
                    'limit': limit,
                    'tags': req.get_param_as_list('tag'),
                }

        class Echo:  # type: ignore[no-redef]
            def on_post(self, req, resp):
                doc = req.get_media()
                resp.media = {'received': len(doc['items'])}

        class Headers:  # type: ignore[no-redef]
            def on_get(self, req, resp):
                resp.media = {'ua': req.get_header('User-Agent'), 'n': len(req.headers)}

        class HeaderEcho:  # type: ignore[no-redef]
            def on_get(self, req, resp):
                request_id = req.get_header('X-Request-Id')
                ua = req.get_header('User-Agent')
                accept = req.get_header('Accept')
                for name, value in RESPONSE_HEADERS_10:
                    resp.set_header(name, value or request_id)
                resp.content_type = fw.MEDIA_TEXT
                resp.text = f'{ua} {accept}'

        class Bad:  # type: ignore[no-redef]
            def on_get(self, req, resp):
                raise fw.HTTPBadRequest(title='Invalid thing', description='The thing was invalid.')

        class Big:  # type: ignore[no-redef]
            def on_get(self, req, resp):
                resp.media = BIG_DOC

        class Noop:  # type: ignore[no-redef]
            def process_request(self, req, resp):
                pass

            def process_resource(self, req, resp, resource, params):
                pass

            def process_response(self, req, resp, resource, req_succeeded):
                pass

    return dict(
        Hello=Hello,
        Item=Item,
        Query=Query,
        Echo=Echo,
        Headers=Headers,
        HeaderEcho=HeaderEcho,
        Bad=Bad,
        Big=Big,
        Noop=Noop,
    )


def build(fw: Any, asgi: bool) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Apps and request specs for every scenario (method, path, query, headers, body)."""
    import importlib

    App = importlib.import_module(fw.__name__ + '.asgi').App if asgi else fw.App
    r = _resources(fw, asgi)

    def app_with(*routes: tuple[str, Any], middleware: Any = None) -> Any:
        app = App(middleware=middleware) if middleware is not None else App()
        for template, res in routes:
            app.add_route(template, res)
        return app

    many = [
        (f'/api/v1/section{i}/users/{{user_id}}/things{i}/{{item_id}}', r['Item']())
        for i in range(49)
    ]
    many.insert(30, ('/api/v1/users/{user_id:int}/items/{item_id}', r['Item']()))
    hello = app_with(('/hello', r['Hello']()))
    return {
        'hello': (hello, dict(method='GET', path='/hello')),
        'path_params_50_routes': (
            app_with(*many),
            dict(method='GET', path='/api/v1/users/42/items/abc-123'),
        ),
        'query_params': (
            app_with(('/search', r['Query']())),
            dict(method='GET', path='/search', query='q=falcon+lanner&limit=25&tag=a&tag=b&tag=c'),
        ),
        'json_post_1k': (
            app_with(('/echo', r['Echo']())),
            dict(
                method='POST',
                path='/echo',
                body=PAYLOAD_1K,
                headers=[('content-type', 'application/json')],
            ),
        ),
        'headers_20': (
            app_with(('/headers', r['Headers']())),
            dict(method='GET', path='/headers', headers=TWENTY_HEADERS),
        ),
        'headers_3_in_10_out': (
            app_with(('/gateway', r['HeaderEcho']())),
            dict(method='GET', path='/gateway', headers=REQUEST_HEADERS_3),
        ),
        'not_found_404': (hello, dict(method='GET', path='/nothing/here')),
        'middleware_3_noop': (
            app_with(('/hello', r['Hello']()), middleware=[r['Noop'](), r['Noop'](), r['Noop']()]),
            dict(method='GET', path='/hello'),
        ),
        'raised_400': (app_with(('/bad', r['Bad']())), dict(method='GET', path='/bad')),
        'json_response_64k': (app_with(('/big', r['Big']())), dict(method='GET', path='/big')),
    }
