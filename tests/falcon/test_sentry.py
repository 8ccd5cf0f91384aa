"""sentry-sdk's Falcon support, unchanged, on lanner apps (WSGI: FalconIntegration; ASGI: the
generic SentryAsgiMiddleware plus lanner.falcon.ASGIRouteMiddleware for the transaction name)."""

from __future__ import annotations

from collections.abc import Iterator
import logging
from typing import Any

import pytest

pytest.importorskip('sentry_sdk', reason='sentry-sdk is installed in the addons environment')
pytest.importorskip('lanner.routing', reason='the apps here route requests (lanner-routing)')

import falcon
import falcon.asgi
import sentry_sdk
from sentry_sdk.integrations.asgi import SentryAsgiMiddleware
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.transport import Transport

import lanner
from lanner.falcon import ASGIRouteMiddleware


class CapturingTransport(Transport):
    """Keeps every envelope in memory: nothing leaves the process."""

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.envelopes: list[Any] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.envelopes.append(envelope)

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.headers.get('type') == kind
        ]

    def server_spans(self) -> list[dict[str, Any]]:
        return [s for p in self.payloads('span') for s in p['items'] if s.get('is_segment')]


@pytest.fixture
def sentry() -> Iterator[CapturingTransport]:
    transport = CapturingTransport()
    sentry_sdk.init(
        dsn='http://key@127.0.0.1:9/1',  # loopback; the transport never sends anything
        transport=transport,
        traces_sample_rate=1.0,
        # ASGI: lanner logs unhandled errors (as Falcon does); make those log records events.
        integrations=[LoggingIntegration(event_level=logging.ERROR)],
    )
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


class Things:
    def on_get(self, req: Any, resp: Any, thing_id: str) -> None:
        if thing_id == 'boom':
            raise ZeroDivisionError('boom')
        resp.media = {'id': thing_id}

    def on_post(self, req: Any, resp: Any, thing_id: str) -> None:
        req.get_media()
        raise ValueError('rejected')


class AsyncThings:
    async def on_get(self, req: Any, resp: Any, thing_id: str) -> None:
        if thing_id == 'boom':
            raise ZeroDivisionError('boom')
        resp.media = {'id': thing_id}

    async def on_post(self, req: Any, resp: Any, thing_id: str) -> None:
        await req.get_media()
        raise ValueError('rejected')


def build(asgi: bool) -> Any:
    """The app as a Falcon user writes it for each flavour."""
    if asgi:
        app = falcon.asgi.App(middleware=[ASGIRouteMiddleware()])
        app.add_route('/things/{thing_id}', AsyncThings())
        return SentryAsgiMiddleware(app)
    app = falcon.App()
    app.add_route('/things/{thing_id}', Things())
    return app


def test_integration_enabled_for_lanner(sentry: CapturingTransport) -> None:
    from sentry_sdk.integrations.falcon import FalconIntegration

    assert sentry_sdk.get_client().get_integration(FalconIntegration) is not None
    # The patches landed on lanner's objects, which the App really uses.
    assert lanner.App.__call__.__name__ == 'sentry_patched_wsgi_app'
    assert lanner.app_helpers.prepare_middleware.__name__ == 'sentry_patched_prepare_middleware'


def test_wsgi_app_runs_sentrys_middleware(sentry: CapturingTransport) -> None:
    from sentry_sdk.integrations.falcon import SentryFalconMiddleware

    app = falcon.App()
    stacks = app._middleware
    assert any(
        isinstance(getattr(m, '__self__', None), SentryFalconMiddleware) for m in stacks.resource
    )
    assert app._unprepared_middleware == []


async def test_unhandled_error_is_an_event(
    sentry: CapturingTransport, asgi: bool, send: Any
) -> None:
    response = await send(build(asgi), 'GET', '/things/boom', headers={'X-Probe': 'yes'})
    assert response.status_code == 500
    sentry_sdk.flush()
    events = sentry.payloads('event')
    assert len(events) == 1
    event = events[0]
    assert event['transaction'] == '/things/{thing_id}'
    assert event['exception']['values'][-1]['type'] == 'ZeroDivisionError'
    request = event['request']
    assert request['url'].endswith('/things/boom')
    assert request['method'] == 'GET'
    assert {k.lower(): v for k, v in request['headers'].items()}['x-probe'] == 'yes'
    [span] = sentry.server_spans()
    assert span['name'] == '/things/{thing_id}'
    assert span['attributes']['http.response.status_code']['value'] == 500


async def test_parsed_json_body_is_reported(
    sentry: CapturingTransport, asgi: bool, send: Any
) -> None:
    response = await send(build(asgi), 'POST', '/things/7', json={'colour': 'teal'})
    assert response.status_code == 500
    sentry_sdk.flush()
    [event] = sentry.payloads('event')
    assert event['exception']['values'][-1]['type'] == 'ValueError'
    if not asgi:  # FalconIntegration reads req._media; the ASGI middleware never sees the body
        assert event['request']['data'] == {'colour': 'teal'}


async def test_success_is_a_transaction_without_event(
    sentry: CapturingTransport, asgi: bool, send: Any
) -> None:
    response = await send(build(asgi), 'GET', '/things/42')
    assert response.status_code == 200
    sentry_sdk.flush()
    assert sentry.payloads('event') == []
    [span] = sentry.server_spans()
    assert span['name'] == '/things/{thing_id}'
    assert span['status'] == 'ok'
    assert span['attributes']['http.response.status_code']['value'] == 200


async def test_client_errors_are_not_events(
    sentry: CapturingTransport, asgi: bool, send: Any
) -> None:
    response = await send(build(asgi), 'GET', '/nowhere')
    assert response.status_code == 404
    sentry_sdk.flush()
    assert sentry.payloads('event') == []


def test_request_media_sentinel_before_reading() -> None:
    import falcon.request
    import falcon.testing

    req = falcon.Request(falcon.testing.create_environ('/x', body=b'{"a": 1}'))
    assert req._media is falcon.request._UNSET
    assert req.get_media() == {'a': 1}
    assert req._media == {'a': 1}


class HandlerFailure(Exception):
    """Raised by an error handler or serializer: it must leave the App and reach Sentry."""


def failing_handler(asgi: bool) -> Any:
    def convert(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise HandlerFailure(f'cannot handle {type(ex).__name__}')

    if not asgi:
        return convert

    async def convert_async(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        convert(req, resp, ex, params)

    return convert_async


def failing_serializer(req: Any, resp: Any, exception: Any) -> None:
    raise HandlerFailure(f'cannot serialize {exception.status}')


def app_with(asgi: bool, configure: Any) -> Any:
    """``build(asgi)`` with ``configure(falcon_app)`` applied to the App inside the wrappers."""
    app = build(asgi)
    configure(app.app if asgi else app)
    return app


@pytest.mark.parametrize(
    ('configure', 'path', 'original'),
    [
        pytest.param(
            lambda app, asgi: app.add_error_handler(ZeroDivisionError, failing_handler(asgi)),
            '/things/boom',
            'ZeroDivisionError',
            id='error-handler',
        ),
        pytest.param(
            lambda app, asgi: app.set_error_serializer(failing_serializer),
            '/nowhere',
            None,
            id='error-serializer',
        ),
    ],
)
async def test_exception_from_error_handling_propagates_and_is_an_event(
    sentry: CapturingTransport,
    asgi: bool,
    send: Any,
    configure: Any,
    path: str,
    original: str | None,
) -> None:
    app = app_with(asgi, lambda inner: configure(inner, asgi))
    # As in Falcon, the App does not swallow it: the server (here httpx's transport) sees it.
    with pytest.raises(HandlerFailure):
        await send(app, 'GET', path)
    sentry_sdk.flush()
    failures = [
        event
        for event in sentry.payloads('event')
        if event['exception']['values'][-1]['type'] == 'HandlerFailure'
    ]
    assert len(failures) == 1, sentry.payloads('event')
    [event] = failures
    values = event['exception']['values']
    assert values[-1]['value'].startswith('cannot ')
    assert event['request']['url'].endswith(path)
    assert event['request']['method'] == 'GET'
    if original is not None:
        # The exception the handler was given is the chained cause Sentry shows with it.
        assert [v['type'] for v in values[:-1]] == [original]
        assert event['transaction'] == '/things/{thing_id}'
