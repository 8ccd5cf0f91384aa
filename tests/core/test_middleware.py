"""Middleware ordering and short-circuit rules, for both flavours and both middleware modes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.harness import Client, middleware, resource

import lanner


class Boom(Exception):
    pass


def component(
    asgi: bool,
    name: str,
    log: list[Any],
    *,
    fail: str | None = None,
    complete: str | None = None,
    methods: tuple[str, ...] = ('process_request', 'process_resource', 'process_response'),
) -> object:
    """A middleware component that logs each call as ``(name, stage)``."""

    def make(stage: str) -> Callable[..., None]:
        def method(*args: Any) -> None:
            if stage == 'process_response':
                log.append((name, stage, args[3]))  # req_succeeded
            else:
                log.append((name, stage))
            if complete == stage:
                args[1].complete = True
            if fail == stage:
                raise Boom(f'{name}.{stage}')

        return method

    return middleware(asgi, **{stage: make(stage) for stage in methods})


def boom_handler(asgi: bool, status: str = lanner.HTTP_418) -> Callable[..., Any]:
    def handle(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.status = status
        resp.media = {'error': str(ex)}

    if asgi:

        async def handle_async(req: Any, resp: Any, ex: Exception, params: Any) -> None:
            handle(req, resp, ex, params)

        return handle_async
    return handle


@pytest.fixture(params=[True, False], ids=['independent', 'dependent'])
def independent(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def build(
    make_app: Callable[..., Any],
    asgi: bool,
    components: list[object],
    independent: bool,
    log: list[Any],
    *,
    responder_fails: bool = False,
) -> Client:
    app = make_app(middleware=components, independent_middleware=independent)
    app.add_error_handler(Boom, boom_handler(asgi))

    def on_get(req: Any, resp: Any, item_id: str) -> None:
        log.append(('responder', item_id))
        if responder_fails:
            raise Boom('responder')
        resp.media = {'id': item_id}

    app.add_route('/items/{item_id}', resource(asgi, on_get=on_get))
    return Client(app)


def test_order_of_a_successful_request(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    comps = [component(asgi, 'A', log), component(asgi, 'B', log), component(asgi, 'C', log)]
    result = build(make_app, asgi, comps, independent, log).get('/items/7')
    assert result.status_code == 200
    assert log == [
        ('A', 'process_request'),
        ('B', 'process_request'),
        ('C', 'process_request'),
        ('A', 'process_resource'),
        ('B', 'process_resource'),
        ('C', 'process_resource'),
        ('responder', '7'),
        ('C', 'process_response', True),
        ('B', 'process_response', True),
        ('A', 'process_response', True),
    ]


def test_process_resource_only_runs_when_a_route_matched(
    make_app: Any, asgi: bool, independent: bool
) -> None:
    log: list[Any] = []
    comps = [component(asgi, 'A', log)]
    result = build(make_app, asgi, comps, independent, log).get('/nowhere')
    assert result.status_code == 404
    assert log == [('A', 'process_request'), ('A', 'process_response', False)]


def test_resource_and_params_seen_by_middleware(make_app: Any, asgi: bool) -> None:
    seen: dict[str, Any] = {}

    def process_resource(req: Any, resp: Any, res: Any, params: dict[str, Any]) -> None:
        seen['resource'] = res
        params['item_id'] = params['item_id'] + '-changed'  # the responder sees the mutation

    def process_response(req: Any, resp: Any, res: Any, ok: bool) -> None:
        seen['response_resource'] = res
        seen['template'] = req.uri_template
        seen['status'] = resp.status

    app = make_app(
        middleware=middleware(
            asgi, process_resource=process_resource, process_response=process_response
        )
    )
    res = resource(asgi, on_get=lambda req, resp, item_id: setattr(resp, 'text', item_id))
    app.add_route('/items/{item_id}', res)
    result = Client(app).get('/items/9')
    assert result.text == '9-changed'
    assert seen['resource'] is res
    assert seen['response_resource'] is res
    assert seen['template'] == '/items/{item_id}'

    # A 404 is fully composed before process_response sees it; resource is None then.
    seen.clear()
    assert Client(app).get('/missing').status_code == 404
    assert seen['response_resource'] is None
    assert seen['template'] is None
    assert seen['status'] in (lanner.HTTP_404, 404)


def test_complete_in_process_request_skips_routing_and_responder(
    make_app: Any, asgi: bool, independent: bool
) -> None:
    log: list[Any] = []
    templates: list[Any] = []
    comps = [
        component(asgi, 'A', log),
        component(asgi, 'B', log, complete='process_request'),
        component(asgi, 'C', log),
        middleware(
            asgi,
            process_response=lambda req, resp, res, ok: templates.append((req.uri_template, res)),
        ),
    ]
    result = build(make_app, asgi, comps, independent, log).get('/items/1')
    assert result.status_code == 200
    # Remaining process_request, every process_resource and the responder are skipped; every
    # process_response still runs, in both modes (dependent mode queues them anyway).
    assert log == [
        ('A', 'process_request'),
        ('B', 'process_request'),
        ('C', 'process_response', True),
        ('B', 'process_response', True),
        ('A', 'process_response', True),
    ]
    assert templates == [(None, None)]


def test_complete_in_process_resource_skips_the_rest(
    make_app: Any, asgi: bool, independent: bool
) -> None:
    log: list[Any] = []
    comps = [
        component(asgi, 'A', log, complete='process_resource'),
        component(asgi, 'B', log),
    ]
    result = build(make_app, asgi, comps, independent, log).get('/items/1')
    assert result.status_code == 200
    assert log == [
        ('A', 'process_request'),
        ('B', 'process_request'),
        ('A', 'process_resource'),
        ('B', 'process_response', True),
        ('A', 'process_response', True),
    ]


def test_exception_in_process_request(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    comps = [
        component(asgi, 'A', log),
        component(asgi, 'B', log, fail='process_request'),
        component(asgi, 'C', log),
    ]
    result = build(make_app, asgi, comps, independent, log).get('/items/1')
    assert result.status_code == 418
    assert result.json == {'error': 'B.process_request'}
    if independent:
        # Every component's process_response runs, even the failing one's and later ones'.
        responses = [
            ('C', 'process_response', False),
            ('B', 'process_response', False),
            ('A', 'process_response', False),
        ]
    else:
        # Only components whose process_request completed are unwound.
        responses = [('A', 'process_response', False)]
    assert log == [('A', 'process_request'), ('B', 'process_request'), *responses]


def test_exception_in_process_resource(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    comps = [
        component(asgi, 'A', log, fail='process_resource'),
        component(asgi, 'B', log),
    ]
    result = build(make_app, asgi, comps, independent, log).get('/items/1')
    assert result.status_code == 418
    assert log == [
        ('A', 'process_request'),
        ('B', 'process_request'),
        ('A', 'process_resource'),
        ('B', 'process_response', False),
        ('A', 'process_response', False),
    ]


def test_exception_in_responder(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    comps = [component(asgi, 'A', log), component(asgi, 'B', log)]
    client = build(make_app, asgi, comps, independent, log, responder_fails=True)
    result = client.get('/items/1')
    assert result.status_code == 418
    assert log[-3:] == [
        ('responder', '1'),
        ('B', 'process_response', False),
        ('A', 'process_response', False),
    ]


def test_exception_in_process_response(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    comps = [
        component(asgi, 'A', log),
        component(asgi, 'B', log, fail='process_response'),
        component(asgi, 'C', log),
    ]
    result = build(make_app, asgi, comps, independent, log).get('/items/1')
    assert result.status_code == 418
    # The failure is handled; the remaining process_response methods still run and see
    # req_succeeded=False.
    assert log[-3:] == [
        ('C', 'process_response', True),
        ('B', 'process_response', True),
        ('A', 'process_response', False),
    ]


def test_every_process_response_failing_still_answers(
    make_app: Any, asgi: bool, independent: bool
) -> None:
    log: list[Any] = []
    comps = [component(asgi, n, log, fail='process_response') for n in 'AB']
    result = build(make_app, asgi, comps, independent, log).get('/items/1')
    assert result.status_code == 418
    assert [entry for entry in log if entry[1] == 'process_response'] == [
        ('B', 'process_response', True),
        ('A', 'process_response', False),
    ]


@pytest.mark.parametrize('stage', ['process_request', 'process_resource', 'process_response'])
def test_unhandled_exception_in_each_stage_gives_500(
    make_app: Any, asgi: bool, independent: bool, stage: str
) -> None:
    reached: list[str] = []

    def fail(*args: Any) -> None:
        raise RuntimeError('unexpected')

    app = make_app(middleware=middleware(asgi, **{stage: fail}), independent_middleware=independent)
    app.add_route('/', resource(asgi, on_get=lambda req, resp: reached.append('responder')))
    result = Client(app).get('/')
    assert result.status_code == 500
    assert result.json == {'title': '500 Internal Server Error'}
    assert reached == ([] if stage != 'process_response' else ['responder'])


def test_http_status_in_process_request(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []

    def deny(req: Any, resp: Any) -> None:
        raise lanner.HTTPStatus(lanner.HTTP_403, headers={'X-Why': 'denied'}, text='nope')

    comps = [component(asgi, 'A', log), middleware(asgi, process_request=deny)]
    result = build(make_app, asgi, comps, independent, log).get('/items/1')
    assert result.status_code == 403
    assert result.headers['x-why'] == 'denied'
    assert result.text == 'nope'
    assert ('A', 'process_response', False) in log


def test_process_request_can_reroute(make_app: Any, asgi: bool) -> None:
    def reroute(req: Any, resp: Any) -> None:
        if req.path == '/old':
            req.path = '/new'

    app = make_app(middleware=middleware(asgi, process_request=reroute))
    app.add_route('/new', resource(asgi, on_get=lambda req, resp: setattr(resp, 'text', 'new')))
    assert Client(app).get('/old').text == 'new'


def test_components_without_some_methods(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    comps = [
        component(asgi, 'A', log, methods=('process_response',)),
        component(asgi, 'B', log, methods=('process_request',)),
        component(asgi, 'C', log, methods=('process_resource',)),
    ]
    build(make_app, asgi, comps, independent, log).get('/items/3')
    assert log == [
        ('B', 'process_request'),
        ('C', 'process_resource'),
        ('responder', '3'),
        ('A', 'process_response', True),
    ]


def test_add_middleware_appends(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    app = make_app(middleware=component(asgi, 'A', log), independent_middleware=independent)
    app.add_middleware([component(asgi, 'B', log)])
    app.add_middleware(component(asgi, 'C', log))
    app.add_middleware([])  # a no-op
    app.add_route('/', resource(asgi, on_get=lambda req, resp: None))
    Client(app).get('/')
    assert [entry[0] for entry in log if entry[1] == 'process_request'] == ['A', 'B', 'C']
    assert [entry[0] for entry in log if entry[1] == 'process_response'] == ['C', 'B', 'A']


def test_middleware_from_a_generator(make_app: Any, asgi: bool) -> None:
    log: list[Any] = []
    app = make_app(middleware=(component(asgi, n, log) for n in 'AB'))
    app.add_route('/', resource(asgi, on_get=lambda req, resp: None))
    Client(app).get('/')
    assert [e[0] for e in log if e[1] == 'process_request'] == ['A', 'B']


def test_not_a_component(make_app: Any) -> None:
    with pytest.raises(TypeError, match='not a middleware component'):
        make_app(middleware=[object()])


def test_a_component_class_instead_of_an_instance(make_app: Any, asgi: bool) -> None:
    class Component:
        def process_request(self, req: Any, resp: Any) -> None:
            pass

        async def process_request_async(self, req: Any, resp: Any) -> None:
            pass

    with pytest.raises(AttributeError, match=r'Pass an instance.*Component\(\)'):
        make_app(middleware=[Component])


def test_failed_add_middleware_leaves_app_unchanged(make_app: Any, asgi: bool) -> None:
    log: list[Any] = []
    app = make_app(middleware=component(asgi, 'A', log))
    with pytest.raises(TypeError):
        app.add_middleware([component(asgi, 'B', log), object()])
    app.add_route('/', resource(asgi, on_get=lambda req, resp: None))
    Client(app).get('/')
    assert {entry[0] for entry in log} == {'A'}


class DualMode:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def process_request(self, req: Any, resp: Any) -> None:
        self.calls.append('sync')

    async def process_request_async(self, req: Any, resp: Any) -> None:
        self.calls.append('async')


def test_dual_mode_component(make_app: Any, asgi: bool) -> None:
    dual = DualMode()
    app = make_app(middleware=dual)
    app.add_route('/', resource(asgi, on_get=lambda req, resp: None))
    Client(app).get('/')
    assert dual.calls == (['async'] if asgi else ['sync'])


class AsyncOnly:
    async def process_request(self, req: Any, resp: Any) -> None:
        pass


class SyncOnly:
    def process_response(self, req: Any, resp: Any, resource: Any, req_succeeded: bool) -> None:
        pass


class SyncWebSocket:
    def process_request_ws(self, req: Any, ws: Any) -> None:
        pass


class LifespanOnly:
    async def process_startup(self, scope: Any, event: Any) -> None:
        pass


def test_flavour_mismatch_is_a_compatibility_error(make_app: Any, asgi: bool) -> None:
    if asgi:
        with pytest.raises(
            lanner.CompatibilityError, match=r'SyncOnly\.process_response.*async def'
        ):
            make_app(middleware=SyncOnly())
        with pytest.raises(lanner.CompatibilityError, match='process_request_ws'):
            make_app(middleware=SyncWebSocket())
        app = make_app(middleware=LifespanOnly())  # lifespan-only components are accepted
        with pytest.raises(lanner.CompatibilityError):
            app.add_middleware(SyncOnly())
    else:
        with pytest.raises(lanner.CompatibilityError, match=r'AsyncOnly\.process_request'):
            make_app(middleware=AsyncOnly())
        with pytest.raises(TypeError, match='not a middleware component'):
            make_app(middleware=LifespanOnly())


def test_asgi_wrap_non_coroutines_escape_hatch(
    make_app: Any, asgi: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not asgi:
        pytest.skip('ASGI only')
    monkeypatch.setenv('FALCON_ASGI_WRAP_NON_COROUTINES', 'Y')
    calls: list[str] = []

    class Sync:
        def process_request(self, req: Any, resp: Any) -> None:
            calls.append('request')

    app = make_app(middleware=Sync())
    app.add_route('/', resource(asgi, on_get=lambda req, resp: None))
    assert Client(app).get('/').status_code == 200
    assert calls == ['request']
    # As in Falcon, the escape hatch leaves the WebSocket methods alone: they exist only on
    # ASGI, so a sync one is always a bug.
    with pytest.raises(lanner.CompatibilityError, match='process_request_ws'):
        make_app(middleware=SyncWebSocket())


def test_escape_hatch_does_not_wrap_a_sync_async_twin(
    make_app: Any, asgi: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not asgi:
        pytest.skip('ASGI only')
    monkeypatch.setenv('FALCON_ASGI_WRAP_NON_COROUTINES', 'Y')

    class Faulty:
        def process_response_async(self, req: Any, resp: Any, resource: Any, ok: bool) -> None:
            pass

    with pytest.raises(lanner.CompatibilityError, match='process_response'):
        make_app(middleware=Faulty())


def test_cors_enable_conflicts_with_explicit_cors_middleware(make_app: Any) -> None:
    with pytest.raises(ValueError, match='cors_enable'):
        make_app(cors_enable=True, middleware=[lanner.CORSMiddleware()])
    app = make_app(cors_enable=True)
    with pytest.raises(ValueError, match='cors_enable'):
        app.add_middleware(lanner.CORSMiddleware())


def test_prepared_stacks_are_tuples(make_app: Any, asgi: bool, independent: bool) -> None:
    log: list[Any] = []
    app = make_app(
        middleware=[component(asgi, 'A', log), component(asgi, 'B', log)],
        independent_middleware=independent,
    )
    request_mw, resource_mw, response_mw = app._middleware
    assert isinstance(request_mw, tuple) and isinstance(resource_mw, tuple)
    assert isinstance(response_mw, tuple)
    assert len(resource_mw) == 2
    assert len(response_mw) == (2 if independent else 0)
