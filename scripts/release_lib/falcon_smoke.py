"""A Falcon app, unchanged, with Sentry and OpenTelemetry, on lanner installed from wheels.

Run by ``scripts/release-smoke`` with the Python of a fresh virtualenv holding ``lanner[falcon]``
(from the wheels just built), ``sentry-sdk``, ``opentelemetry-sdk`` and OpenTelemetry's Falcon and
ASGI instrumentations, and no real falcon distribution. Nothing leaves the process: Sentry's
envelopes and OpenTelemetry's spans are kept in memory, and the app is called through its WSGI and
ASGI callables directly. Exits non-zero (an AssertionError) on the first thing that is wrong.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import io
import json
import logging
from pathlib import Path
import site
import sys
from typing import Any
from wsgiref.util import setup_testing_defaults

# The .pth file shipped in the lanner-falcon wheel must already have run, before any import here.
STARTUP = 'lanner.falcon._startup'
assert STARTUP in sys.modules, f'{STARTUP} did not run at interpreter start (lanner-falcon.pth)'
PTH = [p for d in site.getsitepackages() for p in Path(d).glob('lanner-falcon.pth')]
assert PTH, f'no lanner-falcon.pth in {site.getsitepackages()}'

# ---- the Falcon application, as its authors wrote it ---------------------------------------
import falcon  # noqa: E402
import falcon.asgi  # noqa: E402

ROUTE = '/items/{item_id:int}'


class Items:
    def on_get(self, req: Any, resp: Any, item_id: int) -> None:
        resp.media = {'id': item_id, 'inverse': 1 / item_id}


class AsyncItems:
    async def on_get(self, req: Any, resp: Any, item_id: int) -> None:
        resp.media = {'id': item_id, 'inverse': 1 / item_id}


def create_app() -> Any:
    app = falcon.App()
    app.add_route(ROUTE, Items())
    return app


def create_asgi_app(middleware: list[Any] | None = None) -> Any:
    app = falcon.asgi.App(middleware=middleware or [])
    app.add_route(ROUTE, AsyncItems())
    return app


# ---- checks ----------------------------------------------------------------------------------
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware  # noqa: E402
from opentelemetry.instrumentation.falcon import FalconInstrumentor  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)
from opentelemetry.trace import SpanKind  # noqa: E402
import sentry_sdk  # noqa: E402
from sentry_sdk.integrations.asgi import SentryAsgiMiddleware  # noqa: E402
from sentry_sdk.integrations.falcon import FalconIntegration  # noqa: E402
from sentry_sdk.integrations.logging import LoggingIntegration  # noqa: E402
from sentry_sdk.transport import Transport  # noqa: E402

import lanner  # noqa: E402

assert falcon.__version__ == '4.4.0', falcon.__version__
assert falcon.App is lanner.App and falcon.asgi.App is lanner.asgi.App
assert '/packages/' not in (lanner.__file__ or ''), lanner.__file__
# No real falcon here: lanner-falcon's stand-in answers metadata lookups by name.
assert importlib.metadata.version('falcon') == '4.4.0'
assert not importlib.metadata.distribution('falcon').files


class MemoryTransport(Transport):
    """Sentry transport that keeps the envelopes."""

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.envelopes: list[Any] = []

    def capture_envelope(self, envelope: Any) -> None:
        self.envelopes.append(envelope)

    def errors(self) -> list[dict[str, Any]]:
        found = []
        for envelope in self.envelopes:
            for item in envelope.items:
                if item.headers.get('type') == 'event':
                    found.append(item.payload.json)
        return found


def call_wsgi(app: Any, path: str) -> tuple[int, bytes]:
    environ: dict[str, Any] = {'PATH_INFO': path, 'REQUEST_METHOD': 'GET'}
    setup_testing_defaults(environ)
    environ['wsgi.input'] = io.BytesIO(b'')
    started: list[str] = []

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        started.append(status)

    chunks = app(environ, start_response)
    body = b''.join(chunks)
    getattr(chunks, 'close', lambda: None)()
    return int(started[0].split()[0]), body


def call_asgi(app: Any, path: str) -> tuple[int, bytes]:
    scope = {
        'type': 'http',
        'asgi': {'version': '3.0'},
        'http_version': '1.1',
        'method': 'GET',
        'scheme': 'http',
        'path': path,
        'raw_path': path.encode(),
        'root_path': '',
        'query_string': b'',
        'headers': [(b'host', b'127.0.0.1')],
        'client': ('127.0.0.1', 50000),
        'server': ('127.0.0.1', 80),
    }
    sent: list[dict[str, Any]] = []
    requested = False

    async def run() -> None:
        finished = asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {'type': 'http.request', 'body': b'', 'more_body': False}
            await finished.wait()  # the client goes away once the whole response is in
            return {'type': 'http.disconnect'}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message['type'] == 'http.response.body' and not message.get('more_body'):
                finished.set()

        await app(scope, receive, send)

    asyncio.run(run())
    status = next(m['status'] for m in sent if m['type'] == 'http.response.start')
    body = b''.join(m.get('body', b'') for m in sent if m['type'] == 'http.response.body')
    return status, body


def server_spans(exporter: InMemorySpanExporter) -> list[Any]:
    spans = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    exporter.clear()
    return spans


def status_of(span: Any) -> Any:
    attributes = span.attributes or {}
    return attributes.get('http.response.status_code', attributes.get('http.status_code'))


transport = MemoryTransport()
sentry_sdk.init(
    dsn='http://key@127.0.0.1:9/1',  # never contacted: the transport keeps everything
    transport=transport,
    traces_sample_rate=1.0,
    integrations=[FalconIntegration(), LoggingIntegration(event_level=logging.ERROR)],
)
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
# No skip_dep_check: the dependency check must pass on the stand-in metadata.
FalconInstrumentor().instrument(tracer_provider=provider)
assert falcon.App is not lanner.App and issubclass(falcon.App, lanner.App)

# WSGI: FalconIntegration and the Falcon instrumentation, both unchanged.
wsgi_app = create_app()
status, body = call_wsgi(wsgi_app, '/items/4')
assert (status, json.loads(body)) == (200, {'id': 4, 'inverse': 0.25}), (status, body)
[span] = server_spans(exporter)
assert span.name == f'GET {ROUTE}' and status_of(span) == 200, (span.name, span.attributes)
assert span.attributes['http.route'] == ROUTE
status, _ = call_wsgi(wsgi_app, '/items/0')
assert status == 500, status
[span] = server_spans(exporter)
assert span.name == f'GET {ROUTE}' and status_of(span) == 500, (span.name, span.attributes)
sentry_sdk.flush()
[event] = transport.errors()
assert event['exception']['values'][-1]['type'] == 'ZeroDivisionError', event['exception']
assert event['transaction'] == ROUTE, event['transaction']
assert event['request']['url'].endswith('/items/0'), event['request']
versions = {
    name: importlib.metadata.version(name)
    for name in ('lanner-core', 'lanner-falcon', 'sentry-sdk', 'opentelemetry-sdk')
}
print('falcon smoke: WSGI app traced by OpenTelemetry and reported to Sentry', versions)

# ASGI: the tools' generic ASGI middleware around the unchanged falcon.asgi.App.
transport.envelopes.clear()
asgi_app = SentryAsgiMiddleware(
    OpenTelemetryMiddleware(create_asgi_app(), tracer_provider=provider)
)
status, body = call_asgi(asgi_app, '/items/5')
assert (status, json.loads(body)) == (200, {'id': 5, 'inverse': 0.2}), (status, body)
[span] = server_spans(exporter)
assert status_of(span) == 200, span.attributes
status, _ = call_asgi(asgi_app, '/items/0')
assert status == 500, status
[span] = server_spans(exporter)
assert status_of(span) == 500, span.attributes
sentry_sdk.flush()
[event] = transport.errors()
assert event['exception']['values'][-1]['type'] == 'ZeroDivisionError', event['exception']
# With lanner.falcon.ASGIRouteMiddleware (docs/ecosystem.md) both name the request by route.
from lanner.falcon import ASGIRouteMiddleware  # noqa: E402

transport.envelopes.clear()
routed = create_asgi_app([ASGIRouteMiddleware()])
routed = SentryAsgiMiddleware(OpenTelemetryMiddleware(routed, tracer_provider=provider))
status, _ = call_asgi(routed, '/items/0')
assert status == 500, status
[span] = server_spans(exporter)
assert span.name == f'GET {ROUTE}' and span.attributes['http.route'] == ROUTE, span.name
sentry_sdk.flush()
[event] = transport.errors()
assert event['transaction'] == ROUTE, event['transaction']
print('falcon smoke: ASGI app traced by OpenTelemetry and reported to Sentry')
