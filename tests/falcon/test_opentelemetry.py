"""OpenTelemetry on lanner apps: opentelemetry-instrumentation-falcon, unchanged, on WSGI; on ASGI
the generic OpenTelemetryMiddleware plus lanner.falcon.ASGIRouteMiddleware (the Falcon
instrumentation is WSGI-only upstream)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip('opentelemetry.sdk', reason='installed in the addons environment')
pytest.importorskip(
    'opentelemetry.instrumentation.falcon', reason='installed in the addons environment'
)
pytest.importorskip(
    'opentelemetry.instrumentation.asgi', reason='installed in the addons environment'
)
pytest.importorskip('lanner.routing', reason='the apps here route requests (lanner-routing)')

import falcon
import falcon.asgi
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.falcon import FalconInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lanner.falcon import ASGIRouteMiddleware


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    instrumentor = FalconInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    spans.provider = provider  # type: ignore[attr-defined]
    yield spans
    instrumentor.uninstrument()


class Orders:
    def on_get(self, req: Any, resp: Any, order_id: int) -> None:
        resp.media = {'id': order_id}

    def on_delete(self, req: Any, resp: Any, order_id: int) -> None:
        raise falcon.HTTPForbidden()


class AsyncOrders:
    async def on_get(self, req: Any, resp: Any, order_id: int) -> None:
        resp.media = {'id': order_id}

    async def on_delete(self, req: Any, resp: Any, order_id: int) -> None:
        raise falcon.HTTPForbidden()


def build(asgi: bool, exporter: InMemorySpanExporter) -> Any:
    if asgi:
        app = falcon.asgi.App(middleware=[ASGIRouteMiddleware()])
        app.add_route('/orders/{order_id:int}', AsyncOrders())
        return OpenTelemetryMiddleware(app, tracer_provider=exporter.provider)  # type: ignore[attr-defined]
    app = falcon.App()
    app.add_route('/orders/{order_id:int}', Orders())
    return app


def server_span(exporter: InMemorySpanExporter) -> Any:
    [span] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    return span


def test_instrumentor_replaces_falcon_app_with_a_lanner_subclass(
    exporter: InMemorySpanExporter,
) -> None:
    import lanner

    assert falcon.App is not lanner.App
    assert issubclass(falcon.App, lanner.App)
    app = falcon.App()
    names = [type(c).__name__ for c in app._unprepared_middleware]
    assert names == ['_TraceMiddleware']


@pytest.mark.parametrize(
    ('method', 'status'), [('GET', 200), ('DELETE', 403)], ids=['ok', 'forbidden']
)
async def test_server_span_has_route_method_and_status(
    exporter: InMemorySpanExporter, asgi: bool, send: Any, method: str, status: int
) -> None:
    response = await send(build(asgi, exporter), method, '/orders/12')
    assert response.status_code == status
    span = server_span(exporter)
    assert span.name == f'{method} /orders/{{order_id:int}}'
    assert span.attributes['http.route'] == '/orders/{order_id:int}'
    assert span.attributes['http.method'] == method
    assert span.attributes['http.status_code'] == status


async def test_unrouted_request_keeps_the_method_name(
    exporter: InMemorySpanExporter, asgi: bool, send: Any
) -> None:
    response = await send(build(asgi, exporter), 'GET', '/elsewhere')
    assert response.status_code == 404
    span = server_span(exporter)
    assert 'http.route' not in span.attributes
    assert span.attributes['http.status_code'] == 404


def test_uninstrument_removes_the_middleware_from_built_apps() -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    instrumentor = FalconInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        app = falcon.App()
        app.add_route('/orders/{order_id:int}', Orders())
    finally:
        instrumentor.uninstrument()
    # Upstream rewrote _unprepared_middleware and assigned app._middleware from
    # app._prepare_middleware: lanner's request loop must run exactly that.
    assert app._unprepared_middleware == []
    assert app._middleware.request == () and app._middleware.resource == ()
    import httpx

    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url='http://127.0.0.1') as c:
        assert c.get('/orders/3').json() == {'id': 3}
    assert spans.get_finished_spans() == ()


def test_asgi_route_middleware_without_opentelemetry_only_sets_the_scope() -> None:
    middleware = ASGIRouteMiddleware(opentelemetry=False)
    assert middleware._current_span is None
