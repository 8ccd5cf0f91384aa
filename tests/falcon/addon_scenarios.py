"""Scenarios that drive a Falcon add-on through a small app and return what a client saw.

Each scenario is a function ``scenario(asgi) -> list`` of plain JSON values, written only against
Falcon's public API (``import falcon``), so that it runs unchanged on lanner (lanner-falcon
installed) and, in a subprocess with ``LANNER_FALCON=0``, on the real Falcon: the tests compare
both answers. Run as ``python addon_scenarios.py NAME wsgi|asgi`` it prints the outcome as JSON.
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import falcon
import falcon.asgi
import falcon.testing


def _seen(result: Any) -> list[Any]:
    """What a client sees of one response, independent of JSON spacing (lanner's is compact)."""
    body = result.json if result.content else None
    return [result.status_code, result.headers.get('www-authenticate'), body]


def _app(asgi: bool, middleware: list[Any]) -> Any:
    return falcon.asgi.App(middleware=middleware) if asgi else falcon.App(middleware=middleware)


def _responder(asgi: bool, produce: Any) -> Any:
    """An ``on_get`` for either flavour that sets ``resp.media = produce(req)``."""
    if asgi:

        async def on_get_async(self: Any, req: Any, resp: Any) -> None:
            resp.media = produce(req)

        return on_get_async

    def on_get(self: Any, req: Any, resp: Any) -> None:
        resp.media = produce(req)

    return on_get


def _basic(credentials: bytes) -> dict[str, str]:
    return {'Authorization': 'Basic ' + base64.b64encode(credentials).decode()}


def falcon_auth2(asgi: bool) -> list[Any]:
    """Basic auth or a token (header, cookie or query parameter), exemptions, a public resource."""
    from falcon_auth2 import AuthMiddleware, CookieGetter, HeaderGetter, MultiGetter, ParamGetter
    from falcon_auth2.backends import BasicAuthBackend, GenericAuthBackend, MultiAuthBackend

    def check_password(attributes: Any, username: str, password: str) -> Any:
        return {'name': username} if (username, password) == ('ann', 'sesame') else None

    def check_token(attributes: Any, token: str) -> Any:
        return {'name': 'robot'} if token == 'tok-1' else None

    async def check_password_async(attributes: Any, username: str, password: str) -> Any:
        return check_password(attributes, username, password)

    async def check_token_async(attributes: Any, token: str) -> Any:
        return check_token(attributes, token)

    token_getter = MultiGetter([HeaderGetter('X-Token'), CookieGetter('tok'), ParamGetter('tok')])
    backend = MultiAuthBackend(
        [
            BasicAuthBackend(check_password_async if asgi else check_password),
            GenericAuthBackend(
                check_token_async if asgi else check_token,
                token_getter,
                payload_key='token',
                challenges=['Token'],
            ),
        ]
    )
    app = _app(asgi, [AuthMiddleware(backend, exempt_templates=['/health'])])
    whoami = type('WhoAmI', (), {'on_get': _responder(asgi, lambda req: req.context.auth['user'])})
    public = type(
        'Public', (), {'auth': {'auth_disabled': True}, 'on_get': _responder(asgi, lambda r: 'hi')}
    )
    health = type('Health', (), {'on_get': _responder(asgi, lambda req: 'up')})
    app.add_route('/me', whoami())
    app.add_route('/health', health())
    app.add_route('/public', public())

    client = falcon.testing.TestClient(app)
    requests: list[tuple[str, dict[str, Any]]] = [
        ('/me', {}),
        ('/me', {'headers': _basic(b'ann:sesame')}),
        ('/me', {'headers': _basic(b'ann:wrong')}),
        ('/me', {'headers': {'Authorization': 'Basic'}}),
        ('/me', {'headers': {'Authorization': 'Bearer tok-1'}}),
        ('/me', {'headers': {'X-Token': 'tok-1'}}),
        ('/me', {'headers': {'Cookie': 'tok=tok-1'}}),
        ('/me', {'params': {'tok': 'tok-1'}}),
        ('/me', {'params': {'tok': ['tok-1', 'tok-1']}}),
        ('/me', {'headers': {'X-Token': 'tok-2'}}),
        ('/health', {}),
        ('/public', {}),
    ]
    return [_seen(client.simulate_get(path, **kwargs)) for path, kwargs in requests]


def falcon_limiter(asgi: bool) -> list[Any]:
    """Default limits, per-method limits and ``deduct_when``; one key for every client."""
    if asgi:
        from falcon_limiter import AsyncLimiter as Limiter
    else:
        from falcon_limiter import Limiter

    limiter = Limiter(key_func=lambda req, resp, resource, params: 'one', default_limits='2/minute')

    def missing_or_ok(req: Any) -> Any:
        if req.get_param('missing'):
            raise falcon.HTTPNotFound()
        return 'ok'

    # Not decorated: falcon-limiter applies default_limits only to decorated responders.
    unlimited = type('Unlimited', (), {'on_get': _responder(asgi, lambda req: 'ok')})
    by_default = limiter.limit()(type('ByDefault', (), {'on_get': _responder(asgi, missing_or_ok)}))
    with_own_limit = limiter.limit(limits='1/minute')(_responder(asgi, missing_or_ok))
    own_limit = type('OwnLimit', (), {'on_get': with_own_limit})
    # Counted only when the answer is a 404.
    only_misses = type(
        'OnlyMisses',
        (),
        {
            'on_get': limiter.limit(
                limits='1/minute',
                deduct_when=lambda req, resp, resource, succeeded: resp.status_code == 404,
                key_func=lambda req, resp, resource, params: 'misses',
            )(_responder(asgi, missing_or_ok))
        },
    )
    app = _app(asgi, [limiter.middleware])
    app.add_route('/unlimited', unlimited())
    app.add_route('/default', by_default())
    app.add_route('/own', own_limit())
    app.add_route('/misses', only_misses())

    client = falcon.testing.TestClient(app)
    statuses: list[Any] = []
    for path, times in (('/unlimited', 3), ('/default', 3), ('/own', 2)):
        statuses.append([path, [client.simulate_get(path).status_code for _ in range(times)]])
    misses = [
        client.simulate_get('/misses', params=params).status_code
        for params in ({}, {}, {'missing': '1'}, {})
    ]
    statuses.append(['/misses', misses])
    return statuses


def falcon_marshmallow(asgi: bool) -> list[Any]:
    """JSON enforcement and request validation (WSGI only: the middleware is synchronous)."""
    from falcon_marshmallow import EmptyRequestDropper, JSONEnforcer, Marshmallow
    from marshmallow import Schema, fields

    class Pet(Schema):
        name = fields.String(required=True)
        age = fields.Integer()

    class Pets:
        schema = Pet()

        def on_post(self, req: Any, resp: Any) -> None:
            pet = req.context['json']
            resp.media = {'name': pet['name'].upper(), 'age': pet.get('age', 0)}

    app = falcon.App(middleware=[JSONEnforcer(), EmptyRequestDropper(), Marshmallow()])
    app.add_route('/pets', Pets())
    client = falcon.testing.TestClient(app)
    json_type = {'Content-Type': 'application/json'}
    requests: list[dict[str, Any]] = [
        {'json': {'name': 'rex', 'age': 3}},
        {'json': {'age': 'old'}},
        {'body': 'rex', 'headers': {'Content-Type': 'text/plain'}},
        {'json': {'name': 'rex'}, 'headers': {'Accept': 'text/html'}},
        {'body': '{"name": "rex", "age": "3"}', 'headers': json_type},
    ]
    outcome = []
    for kwargs in requests:
        result = client.simulate_post('/pets', **kwargs)
        body = result.json if result.content else None
        if result.status_code == 422:  # the description is marshmallow's errors, as JSON
            body['description'] = json.loads(body['description'])
        outcome.append([result.status_code, body])
    return outcome


SCENARIOS = {
    'falcon_auth2': falcon_auth2,
    'falcon_limiter': falcon_limiter,
    'falcon_marshmallow': falcon_marshmallow,
}

if __name__ == '__main__':
    name, flavour = sys.argv[1:3]
    print(json.dumps(SCENARIOS[name](flavour == 'asgi')))
