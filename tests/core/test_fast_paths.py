"""Behaviour behind the request loop's fast paths (see docs/performance.md).

Each optimisation keeps a general path for the cases it does not cover; these tests pin that the
two agree: custom request/response classes, error handler registration after first use, the error
serializer's cached negotiation, lazily created contexts, and condensed error classes.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from support.harness import Client, new_app, resource

import lanner
from lanner import errors
import lanner.asgi
from lanner.media import Handlers, JSONHandler


def _hello(req: Any, resp: Any) -> None:
    resp.content_type = lanner.MEDIA_TEXT
    resp.text = 'Hello'


# --------------------------------------------------------------------------------------------
# Custom request and response classes
# --------------------------------------------------------------------------------------------


def test_custom_types_with_keyword_only_init(make_app: Any, asgi: bool) -> None:
    base_req: Any = lanner.asgi.Request if asgi else lanner.Request
    base_resp: Any = lanner.asgi.Response if asgi else lanner.Response
    made: list[str] = []

    if asgi:

        class Req(base_req):  # type: ignore[misc, valid-type]
            def __init__(
                self, scope: Any, receive: Any, *, first_event: Any = None, options: Any = None
            ) -> None:
                made.append('req')
                super().__init__(scope, receive, first_event=first_event, options=options)
    else:

        class Req(base_req):  # type: ignore[misc, valid-type, no-redef]
            def __init__(self, env: Any, *, options: Any = None) -> None:
                made.append('req')
                super().__init__(env, options=options)

    class Resp(base_resp):  # type: ignore[misc, valid-type]
        def __init__(self, *, options: Any = None) -> None:
            made.append('resp')
            super().__init__(options=options)

    app = make_app(request_type=Req, response_type=Resp)
    app.add_route('/hello', resource(asgi, on_get=_hello))
    result = Client(app).get('/hello')
    assert result.status_code == 200
    assert result.text == 'Hello'
    assert made == ['req', 'resp']


def test_asgi_response_overriding_render_body_is_awaited() -> None:
    class Upper(lanner.asgi.Response):
        async def render_body(self) -> bytes | None:
            body = await super().render_body()
            return body.upper() if body else body

    app = new_app(asgi=True, response_type=Upper)

    class Hello:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.text = 'quiet'

    app.add_route('/', Hello())
    result = Client(app).get('/')
    assert result.content == b'QUIET'
    assert result.headers['content-length'] == '5'


@pytest.mark.parametrize(
    ('setup', 'status', 'body'),
    [
        (lambda resp: setattr(resp, 'text', 'x'), 200, b'x'),
        (lambda resp: setattr(resp, 'data', b''), 200, b''),
        (lambda resp: setattr(resp, 'media', {'a': 1}), 200, b'{"a":1}'),
        (lambda resp: setattr(resp, 'status', 204), 204, b''),
        (lambda resp: setattr(resp, 'status', '299 Custom'), 299, b''),
        (lambda resp: setattr(resp, 'status', lanner.HTTP_201), 201, b''),
    ],
)
def test_common_responses_match_general_path(
    make_app: Any, asgi: bool, setup: Any, status: int, body: bytes
) -> None:
    app = make_app()

    def on_get(req: Any, resp: Any) -> None:
        setup(resp)

    app.add_route('/', resource(asgi, on_get=on_get, on_head=on_get))
    result = Client(app).get('/')
    assert result.status_code == status
    assert result.content == body
    if status != 204:
        assert result.headers['content-length'] == str(len(body))
    head = Client(app).head('/')
    assert head.status_code == status
    assert head.content == b''


def test_render_failure_is_handled(make_app: Any, asgi: bool) -> None:
    app = make_app()

    def on_get(req: Any, resp: Any) -> None:
        resp.content_type = 'application/x-unknown'
        resp.media = {'a': 1}

    app.add_route('/', resource(asgi, on_get=on_get))
    result = Client(app).get('/')
    assert result.status_code == 415


def test_unrenderable_status_reaches_the_server(make_app: Any, asgi: bool) -> None:
    # As in Falcon: the response cannot be started, so the ValueError goes to the server (which
    # answers 500), from the fast path as from the general one.
    app = make_app()

    def on_get(req: Any, resp: Any) -> None:
        resp.status = 'not a status'
        resp.text = 'x'

    app.add_route('/', resource(asgi, on_get=on_get))
    with pytest.raises(ValueError, match='not a valid'):
        Client(app).get('/')


# --------------------------------------------------------------------------------------------
# Error handlers and the error serializer
# --------------------------------------------------------------------------------------------


def test_error_handler_registered_after_first_use_wins(make_app: Any, asgi: bool) -> None:
    app = make_app()
    client = Client(app)
    assert client.get('/missing').status_code == 404  # resolves and remembers the default

    def teapot(req: Any, resp: Any, ex: Any, params: Any) -> None:
        resp.status = 418

    if asgi:

        async def handler(req: Any, resp: Any, ex: Any, params: Any) -> None:
            teapot(req, resp, ex, params)

        app.add_error_handler(lanner.HTTPNotFound, handler)
    else:
        app.add_error_handler(lanner.HTTPNotFound, teapot)
    assert client.get('/missing').status_code == 418


def test_error_body_bytes(make_app: Any, asgi: bool) -> None:
    app = make_app()

    def on_get(req: Any, resp: Any) -> None:
        raise lanner.HTTPBadRequest(title='Bad "thing"', description='Caf\u00e9 \u2028 \\ /')

    app.add_route('/bad', resource(asgi, on_get=on_get))
    result = Client(app).get('/bad')
    expected = json.dumps(
        {'title': 'Bad "thing"', 'description': 'Caf\u00e9 \u2028 \\ /'}, ensure_ascii=False
    ).encode()
    assert result.content == expected
    assert result.headers['vary'] == 'Accept'
    assert Client(app).get('/nope').content == b'{"title": "404 Not Found"}'


def test_error_serializer_sees_handlers_registered_later(make_app: Any, asgi: bool) -> None:
    app = make_app()
    client = Client(app)
    headers = {'Accept': 'application/json'}
    assert client.get('/nope', headers=headers).content == b'{"title": "404 Not Found"}'
    # Replace the JSON handler after the first error: the custom dumps must now be used.
    app.resp_options.media_handlers[lanner.MEDIA_JSON] = JSONHandler(
        dumps=lambda obj: json.dumps(obj, separators=(',', ':'))
    )
    assert client.get('/nope', headers=headers).content == b'{"title":"404 Not Found"}'
    # And a newly registered media type becomes negotiable.
    app.resp_options.media_handlers['application/x-custom'] = JSONHandler()
    result = client.get('/nope', headers={'Accept': 'application/x-custom'})
    assert result.headers['content-type'] == 'application/x-custom'


def test_error_serializer_with_plain_mapping_of_handlers(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.resp_options.media_handlers = {lanner.MEDIA_JSON: JSONHandler()}  # type: ignore[assignment]
    result = Client(app).get('/nope', headers={'Accept': 'application/json'})
    assert result.status_code == 404
    assert result.json == {'title': '404 Not Found'}


@pytest.mark.parametrize(
    ('accept', 'content_type'),
    [
        (None, 'application/json'),
        ('*/*', 'application/json'),
        ('application/xml', 'application/xml'),
        ('text/xml;q=0.9, application/json;q=0.5', 'text/xml'),
        ('application/vnd.api+json', 'application/json'),
        ('x' * 300 + '/json', 'application/json'),
    ],
)
def test_error_negotiation(make_app: Any, accept: str | None, content_type: str) -> None:
    app = make_app()
    headers = {'Accept': accept} if accept is not None else {}
    for _ in range(2):  # the second request is answered from the caches
        result = Client(app).get('/nope', headers=headers)
        assert result.status_code == 404
        assert result.headers['content-type'] == content_type


def test_client_prefers_is_cached_but_exact() -> None:
    env = {
        'REQUEST_METHOD': 'GET',
        'PATH_INFO': '/',
        'HTTP_ACCEPT': 'text/html;q=0.5, application/json',
        'wsgi.input': None,
    }
    req = lanner.Request(env)
    assert req.client_prefers(['text/html', 'application/json']) == 'application/json'
    assert req.client_prefers(('text/html', 'application/json')) == 'application/json'
    assert req.client_prefers(iter(['text/html'])) == 'text/html'
    assert req.client_prefers(['image/png']) is None
    assert req.client_prefers(['not a media type']) is None  # invalid candidate, as before


# --------------------------------------------------------------------------------------------
# Lazy context
# --------------------------------------------------------------------------------------------


def test_context_is_made_on_first_access_and_assignable(asgi: bool) -> None:
    scope = {'type': 'http', 'method': 'GET', 'path': '/', 'headers': []}
    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/', 'wsgi.input': None}
    req: Any = lanner.asgi.Request(scope, None) if asgi else lanner.Request(env)
    resp: Any = lanner.asgi.Response() if asgi else lanner.Response()
    for obj in (req, resp):
        ctx = obj.context
        assert isinstance(ctx, lanner.Context)
        assert obj.context is ctx
        obj.context = None
        assert obj.context is None
        obj.context = {'a': 1}
        assert obj.context == {'a': 1}


# --------------------------------------------------------------------------------------------
# Condensed error classes
# --------------------------------------------------------------------------------------------

_SIMPLE = [
    name
    for name in errors.__all__
    if name.startswith('HTTP')
    and name not in ('HTTPError', 'HTTPPayloadTooLarge')
    and list(inspect.signature(getattr(errors, name)).parameters)
    == ['title', 'description', 'headers', 'kwargs']
]


def test_simple_error_classes_found() -> None:
    assert len(_SIMPLE) >= 25
    assert 'HTTPNotFound' in _SIMPLE
    assert 'HTTPRouteNotFound' in _SIMPLE


@pytest.mark.parametrize('name', _SIMPLE)
def test_simple_error_classes(name: str) -> None:
    cls = getattr(errors, name)
    err = cls()
    line = err.status
    assert isinstance(line, str)
    assert err.title == line
    assert err.status_code == int(line[:3])
    assert err.description is None
    assert err.headers is None
    assert err.link is None
    assert err.code is None
    assert err.args == ()

    full = cls(
        title='t', description='d', headers={'X-A': '1'}, href='http://x/ y', code=7, href_text='h'
    )
    assert (full.title, full.description, full.headers, full.code) == ('t', 'd', {'X-A': '1'}, 7)
    assert full.link == {'text': 'h', 'href': 'http://x/%20y', 'rel': 'help'}
    with pytest.raises(TypeError):
        cls('positional')
    with pytest.raises(TypeError):
        cls(bogus=1)
    params = inspect.signature(cls).parameters
    assert all(p.kind is p.KEYWORD_ONLY for n, p in params.items() if n != 'kwargs')


def test_special_error_classes_keep_their_arguments() -> None:
    assert errors.HTTPMethodNotAllowed(['GET']).headers == {'Allow': 'GET'}
    assert errors.HTTPUnauthorized(challenges=['Bearer']).headers == {'WWW-Authenticate': 'Bearer'}
    assert errors.HTTPTooManyRequests(retry_after=5).headers == {'Retry-After': '5'}
    assert errors.HTTPRangeNotSatisfiable(10).headers == {'Content-Range': 'bytes */10'}
    assert errors.HTTPInvalidParam('bad', 'x').status == lanner.HTTP_400
    malformed = errors.MediaMalformedError('JSON', description='ignored')
    assert malformed.description == 'Could not parse JSON body'
    with pytest.raises(TypeError):
        errors.HTTPMethodNotAllowed()  # type: ignore[call-arg]


def test_handlers_derived_values_are_dropped_on_change() -> None:
    handlers = Handlers()
    handlers._derived['probe'] = 1
    handlers['application/x-new'] = JSONHandler()
    assert 'probe' not in handlers._derived
    handlers._derived['probe'] = 1
    del handlers['application/x-new']
    assert 'probe' not in handlers._derived
