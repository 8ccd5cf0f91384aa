"""The ASGI application (``lanner.asgi.App``): HTTP, WebSocket and lifespan scopes.

Shares registration, routing and error handling with the WSGI :class:`lanner.App`; only the
request loop, the lifespan protocol and the flavour checks (everything must be ``async``) differ.

Invariants:
- The app awaits exactly one ``receive()`` before handling an HTTP request; a first
  ``http.disconnect`` ends the call without sending anything.
- A response is one ``http.response.start`` followed by one body event (``more_body`` absent), or
  by streamed chunks with ``more_body=True`` and a final empty event.
- WebSocket connections are created by lanner-websocket through a factory resolved once, on the
  first WebSocket scope; core only needs ``close()`` from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from inspect import isawaitable, iscoroutinefunction
import logging
import traceback
from typing import TYPE_CHECKING, Any, ClassVar

from lanner.app import App as _WSGIApp
from lanner.app_helpers import prepare_middleware_ws
from lanner.asgi.request import Request
from lanner.asgi.response import Response
from lanner.asgi.ws_options import WebSocketOptions
from lanner.errors import (
    CompatibilityError,
    HTTPBadRequest,
    HTTPInternalServerError,
    UnsupportedError,
    UnsupportedScopeError,
)
from lanner.http_error import HTTPError
from lanner.http_status import HTTPStatus

if TYPE_CHECKING:
    from lanner.typing import ASGIReceive, ASGISend, ErrorHandler, Scope

__all__ = ('App',)

_logger = logging.getLogger('lanner')

_BODILESS_CODES = frozenset((100, 101, 204, 304))
_NO_CONTENT_TYPE_CODES = frozenset((204, 304))
_HTTP_VERSIONS = frozenset(('1.0', '1.1', '2', '3'))
_WS_HTTP_VERSIONS = frozenset(('1.1', '2', '3'))
_EMPTY_BODY = {'type': 'http.response.body', 'body': b''}


class App(_WSGIApp):
    """An ASGI 3 application: same constructor and registration API as :class:`lanner.App`.

    Responders, middleware methods, hooks' actions, sinks and error handlers must be coroutine
    functions. ``ws_options`` configures WebSocket connections.
    """

    _ASGI: ClassVar[bool] = True
    _default_request_type: ClassVar[type[Any]] = Request
    _default_response_type: ClassVar[type[Any]] = Response

    __slots__ = ('_middleware_ws', '_ws_factory', 'ws_options')

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.ws_options = WebSocketOptions()
        self._ws_factory: Callable[..., Any] | None = None
        super().__init__(*args, **kwargs)
        self._middleware_ws = prepare_middleware_ws(self._middleware)

    # ------------------------------------------------------------------ flavour checks

    def add_middleware(self, middleware: object | Iterable[object]) -> None:
        super().add_middleware(middleware)
        self._middleware_ws = prepare_middleware_ws(self._middleware)

    def _route_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**kwargs, '_asgi': True}

    def _check_resource(self, resource: object) -> None:
        if getattr(resource, 'on_websocket', None) is not None:
            # Fail at registration, not on the first connection, when the member is missing.
            self._resolve_ws_factory()

    def _check_sink(self, sink: Callable[..., Any]) -> None:
        if not (iscoroutinefunction(sink) or iscoroutinefunction(getattr(sink, '__call__', None))):
            raise CompatibilityError(
                'lanner.asgi.App requires sinks to be coroutine functions (async def); '
                f'{sink!r} is synchronous.'
            )

    def _wrap_error_handler(self, handler: ErrorHandler) -> ErrorHandler:
        if not iscoroutinefunction(handler):
            raise CompatibilityError(
                'lanner.asgi.App requires error handlers to be coroutine functions (async def); '
                f'{handler!r} is synchronous.'
            )
        return handler

    def _bad_request_responder(self) -> Callable[..., Any]:
        from lanner import responders

        return responders.bad_request_async

    def _path_not_found_responder(self) -> Callable[..., Any]:
        from lanner import responders

        return responders.path_not_found_async

    def _resolve_ws_factory(self) -> Callable[..., Any]:
        if self._ws_factory is None:
            from lanner._members import import_member

            websocket = import_member('websocket', 'WebSocket support (on_websocket)')
            self._ws_factory = websocket.WebSocket
        return self._ws_factory

    # ------------------------------------------------------------------ errors

    async def _handle_exception(  # type: ignore[override]
        self, req: Any, resp: Any, ex: Exception, params: dict[str, Any], ws: Any = None
    ) -> bool:
        handler = self._find_error_handler(ex)
        if handler is None:
            return False
        if resp is not None:
            resp.text = None
            resp.data = None
            resp.media = None
        try:
            if ws is not None and _accepts_ws(handler):
                await handler(req, resp, ex, params, ws=ws)
            else:
                await handler(req, resp, ex, params)
        except HTTPStatus as status:
            await self._http_status_handler(req, resp, status, params, ws=ws)
        except HTTPError as error:
            await self._http_error_handler(req, resp, error, params, ws=ws)
        return True

    async def _http_status_handler(  # type: ignore[override]
        self, req: Any, resp: Any, status: HTTPStatus, params: Any, ws: Any = None
    ) -> None:
        if resp is not None:
            self._compose_status_response(req, resp, status)
        elif ws is not None:
            await ws.close(3000 + status.status_code)

    async def _http_error_handler(  # type: ignore[override]
        self, req: Any, resp: Any, error: HTTPError, params: Any, ws: Any = None
    ) -> None:
        if resp is not None:
            self._compose_error_response(req, resp, error)
        elif ws is not None:
            _logger.error('WebSocket handshake failed with %s', error)
            await ws.close(3000 + error.status_code)

    async def _python_error_handler(  # type: ignore[override]
        self, req: Any, resp: Any, error: Exception, params: Any, ws: Any = None
    ) -> None:
        _logger.error('Unhandled exception in ASGI app', exc_info=error)
        if resp is not None:
            self._compose_error_response(req, resp, HTTPInternalServerError())
        elif ws is not None:
            await ws.close(self.ws_options.error_close_code)

    # ------------------------------------------------------------------ entry point

    async def __call__(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        scope_type = scope.get('type')
        asgi_info = scope.get('asgi')
        if asgi_info is None:
            asgi_info = scope['asgi'] = {'version': '2.0'}
        if scope_type == 'http':
            spec_version = asgi_info.get('spec_version') or '2.0'
            if not spec_version.startswith('2.'):
                raise UnsupportedScopeError(
                    f'The ASGI http scope spec version {spec_version!r} is not supported (2.x is).'
                )
            if scope.get('http_version', '1.1') not in _HTTP_VERSIONS:
                raise UnsupportedError(
                    f'HTTP version {scope.get("http_version")!r} is not supported; '
                    'expected one of 1.0, 1.1, 2 or 3.'
                )
            await self._handle_http(scope, receive, send)
        elif scope_type == 'websocket':
            spec_version = asgi_info.get('spec_version') or '2.0'
            if not spec_version.startswith('2.'):
                raise UnsupportedScopeError(
                    f'The ASGI websocket scope spec version {spec_version!r} is not supported.'
                )
            if scope.get('http_version', '1.1') not in _WS_HTTP_VERSIONS:
                raise UnsupportedError(
                    f'HTTP version {scope.get("http_version")!r} is not supported for WebSocket.'
                )
            await self._handle_websocket(spec_version, scope, receive, send)
        elif scope_type == 'lifespan':
            spec_version = asgi_info.get('spec_version') or '1.0'
            if not spec_version.startswith(('1.', '2.')):
                raise UnsupportedScopeError(
                    f'The ASGI lifespan scope spec version {spec_version!r} is not supported.'
                )
            await self._handle_lifespan(scope, receive, send)
        else:
            raise UnsupportedScopeError(
                f'The ASGI scope type {scope_type!r} is not supported; lanner handles '
                '"http", "websocket" and "lifespan".'
            )

    # ------------------------------------------------------------------ lifespan

    async def _handle_lifespan(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        while True:
            event = await receive()
            event_type = event.get('type')
            if event_type == 'lifespan.startup':
                version = str(scope.get('asgi', {}).get('version', ''))
                if not version.startswith('3.'):
                    await send({
                        'type': 'lifespan.startup.failed',
                        'message': f'lanner requires ASGI version 3.x; the server detected {version!r}.',
                    })
                    return
                if getattr(self.req_options, 'auto_parse_form_urlencoded', False):
                    await send({
                        'type': 'lifespan.startup.failed',
                        'message': 'RequestOptions.auto_parse_form_urlencoded is not supported by '
                        'ASGI apps; use await req.get_media() instead.',
                    })
                    return
                for component in self._middleware:
                    handler = getattr(component, 'process_startup', None)
                    if handler is None:
                        continue
                    try:
                        await handler(scope, event)
                    except Exception:
                        await send({'type': 'lifespan.startup.failed', 'message': traceback.format_exc()})
                        return
                await send({'type': 'lifespan.startup.complete'})
            elif event_type == 'lifespan.shutdown':
                for component in reversed(self._middleware):
                    handler = getattr(component, 'process_shutdown', None)
                    if handler is None:
                        continue
                    try:
                        await handler(scope, event)
                    except Exception:
                        await send({'type': 'lifespan.shutdown.failed', 'message': traceback.format_exc()})
                        return
                await send({'type': 'lifespan.shutdown.complete'})
                return

    # ------------------------------------------------------------------ http

    async def _handle_http(self, scope: Scope, receive: ASGIReceive, send: ASGISend) -> None:
        first_event = await receive()
        if first_event['type'] == 'http.disconnect':
            return
        req = self._request_type(scope, receive, first_event=first_event, options=self.req_options)
        resp = self._response_type(options=self.resp_options)
        resource: object | None = None
        params: dict[str, Any] = {}
        request_mw, resource_mw, response_mw = self._middleware_stacks
        dependent_responses: list[Callable[..., Any]] = []
        req_succeeded = False

        try:
            try:
                if req.method in self._META_METHODS:
                    raise HTTPBadRequest()
                for process_request, process_response in request_mw:
                    if process_response is not None:
                        dependent_responses.append(process_response)
                    if process_request is not None and not resp.complete:
                        await process_request(req, resp)
                if not resp.complete:
                    responder, params, resource, req.uri_template = self._get_responder(req)
            except Exception as ex:
                if not await self._handle_exception(req, resp, ex, params):
                    raise
            else:
                try:
                    if resource is not None:
                        for process_resource in resource_mw:
                            await process_resource(req, resp, resource, params)
                            if resp.complete:
                                break
                    if not resp.complete:
                        await responder(req, resp, **params)
                    req_succeeded = True
                except Exception as ex:
                    if not await self._handle_exception(req, resp, ex, params):
                        raise
        finally:
            for process_response in response_mw or reversed(dependent_responses):
                try:
                    await process_response(req, resp, resource, req_succeeded)
                except Exception as ex:
                    if not await self._handle_exception(req, resp, ex, params):
                        raise
                    req_succeeded = False

        sse = resp.sse
        data: bytes | None = None
        rendered = True
        if sse is None:
            try:
                data = await resp.render_body()
            except Exception as ex:
                if not await self._handle_exception(req, resp, ex, params):
                    raise
                rendered = False

        status_code = resp.status_code
        headers = resp._headers
        default_type: str | None = self.resp_options.default_media_type

        if req.method == 'HEAD' or status_code in _BODILESS_CODES:
            if status_code in _NO_CONTENT_TYPE_CODES:
                default_type = None
            elif data is not None and 'content-length' not in headers:
                headers['content-length'] = str(len(data))
            elif data is None and rendered and sse is None and resp.stream is None:
                headers.setdefault('content-length', '0')
            await self._close_stream(resp.stream if rendered else None)
            await send({
                'type': 'http.response.start',
                'status': status_code,
                'headers': resp._asgi_headers(default_type),
            })
            await send(_EMPTY_BODY)
            self._schedule_callbacks(resp)
            return

        if sse is not None:
            from lanner.asgi import _sse

            await _sse.respond(self, req, resp, send, receive, default_type)
            return

        if data is not None or not rendered:
            body = data or b''
            headers['content-length'] = str(len(body))
            await send({
                'type': 'http.response.start',
                'status': status_code,
                'headers': resp._asgi_headers(default_type),
            })
            await send({'type': 'http.response.body', 'body': body})
            self._schedule_callbacks(resp)
            return

        stream = resp.stream
        if stream is None:
            headers['content-length'] = '0'
            await send({
                'type': 'http.response.start',
                'status': status_code,
                'headers': resp._asgi_headers(default_type),
            })
            await send(_EMPTY_BODY)
            self._schedule_callbacks(resp)
            return

        await send({
            'type': 'http.response.start',
            'status': status_code,
            'headers': resp._asgi_headers(default_type),
        })
        try:
            await self._send_stream(stream, send)
        finally:
            await self._close_stream(stream)
        await send(_EMPTY_BODY)
        self._schedule_callbacks(resp)

    async def _send_stream(self, stream: Any, send: ASGISend) -> None:
        read = getattr(stream, 'read', None)
        if read is not None:
            block = self._STREAM_BLOCK_SIZE
            while True:
                chunk = read(block)
                if isawaitable(chunk):
                    chunk = await chunk
                if not chunk:
                    return
                await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
        if hasattr(stream, '__aiter__'):
            async for chunk in stream:
                if chunk:
                    await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})
            return
        for chunk in stream:
            if chunk:
                await send({'type': 'http.response.body', 'body': chunk, 'more_body': True})

    @staticmethod
    async def _close_stream(stream: Any) -> None:
        if stream is None:
            return
        close = getattr(stream, 'aclose', None) or getattr(stream, 'close', None)
        if close is not None:
            result = close()
            if isawaitable(result):
                await result

    @staticmethod
    def _schedule_callbacks(resp: Any) -> None:
        callbacks = resp._registered_callbacks
        if not callbacks:
            return
        loop = asyncio.get_running_loop()
        for callback, is_async in callbacks:
            if is_async:
                loop.create_task(callback())
            else:
                loop.run_in_executor(None, callback)

    # ------------------------------------------------------------------ websocket

    async def _handle_websocket(
        self, spec_version: str, scope: Scope, receive: ASGIReceive, send: ASGISend
    ) -> None:
        from lanner.asgi import _ws_flow

        await _ws_flow.handle(self, spec_version, scope, receive, send)


def _accepts_ws(handler: Callable[..., Any]) -> bool:
    from lanner.util.misc import get_argnames

    try:
        return 'ws' in get_argnames(handler)
    except (TypeError, ValueError):
        return False
