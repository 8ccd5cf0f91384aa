"""Lets ASGI-level tracing name requests by their route template, for ``falcon.asgi.App``.

Sentry's and OpenTelemetry's Falcon integrations hook the WSGI ``App`` only. On ASGI, Falcon users
wrap the app in the tools' generic ASGI middleware (``SentryAsgiMiddleware``, OpenTelemetry's
``OpenTelemetryMiddleware``), which knows the URL path but not the route. This component, added to
a ``lanner.asgi.App`` (``falcon.asgi.App``), tells them the route once it is known:

- ``scope['route']`` gets an object whose ``path`` and ``path_format`` are the route template: the
  key that FastAPI fills and that Sentry (transaction name) and OpenTelemetry (``http.target`` of
  metrics) read;
- when ``opentelemetry-api`` is installed, the current span is renamed ``"<METHOD> <template>"``
  and gets the ``http.route`` attribute, as the WSGI instrumentation does.

It costs nothing per request when not added; see docs/ecosystem.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ('ASGIRouteMiddleware', 'RouteTemplate')


class RouteTemplate:
    """What ``scope['route']`` holds: the matched route template, under the names tools read."""

    __slots__ = ('path',)

    def __init__(self, path: str) -> None:
        self.path = path

    @property
    def path_format(self) -> str:
        """The template again (OpenTelemetry reads this name)."""
        return self.path

    def __repr__(self) -> str:
        return f'RouteTemplate({self.path!r})'


def _current_span_getter() -> Any:
    try:
        from opentelemetry import trace
    except ImportError:
        return None
    return trace.get_current_span


class ASGIRouteMiddleware:
    """ASGI middleware component: publishes the matched route to ASGI tracing middleware.

    Args:
        opentelemetry: Rename the current OpenTelemetry span and set ``http.route``. The default,
            ``None``, does so when ``opentelemetry-api`` can be imported (decided here, once).
    """

    def __init__(self, opentelemetry: bool | None = None) -> None:
        getter = _current_span_getter() if opentelemetry is not False else None
        if opentelemetry and getter is None:
            raise ModuleNotFoundError(
                'ASGIRouteMiddleware(opentelemetry=True) needs opentelemetry-api: '
                'pip install opentelemetry-api (or leave opentelemetry=None).'
            )
        self._current_span = getter

    async def process_resource(self, req: Any, resp: Any, resource: object, params: Any) -> None:
        """Runs once the route matched: ``req.uri_template`` is known from here on."""
        template = req.uri_template
        if not template:
            return
        req.scope['route'] = RouteTemplate(template)
        if self._current_span is not None:
            span = self._current_span()
            if span.is_recording():
                span.update_name(f'{req.method} {template}')
                span.set_attribute('http.route', template)
