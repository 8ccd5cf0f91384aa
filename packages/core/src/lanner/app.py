"""The WSGI application: registration API and the request loop.

Invariants:
- Everything that can be decided when routes, sinks, middleware and handlers are registered is
  decided then (validation, method binding, middleware stacks). ``__call__`` only iterates over
  prepared tuples.
- Error handlers are looked up along the exception's MRO; the latest registration for a class wins.
- The body is rendered once, after all ``process_response`` middleware. An error raised while
  rendering is handled, but the body is not rendered again (the client gets the error's status
  and headers with an empty body), as in Falcon.

The ASGI App (``lanner.asgi.App``) subclasses this class and shares everything but the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from inspect import iscoroutinefunction
import re
import traceback
from typing import TYPE_CHECKING, Any, ClassVar

from lanner import constants
from lanner.app_helpers import MiddlewareStacks, default_serialize_error, prepare_middleware
from lanner.errors import (
    CompatibilityError,
    HTTPBadRequest,
    HTTPInternalServerError,
)
from lanner.http_error import HTTPError
from lanner.http_status import HTTPStatus
from lanner.request import Request, RequestOptions
from lanner.response import Response, ResponseOptions
from lanner.util.misc import code_to_http_status

if TYPE_CHECKING:
    from lanner.typing import ErrorHandler, ErrorSerializer, Router, StartResponse, WSGIEnviron

__all__ = ('API', 'App')

# Status lines WSGI treats as bodiless (Falcon compares the rendered line, not the code).
_BODILESS_LINES = frozenset(
    ('100 Continue', '101 Switching Protocols', '204 No Content', '304 Not Modified')
)
_NO_CONTENT_TYPE_LINES = frozenset(('204 No Content', '304 Not Modified'))


class _ClosingIterator:
    """A WSGI body iterable over a stream that closes the stream (and runs teardown) on close()."""

    __slots__ = ('_iterator', '_closers')

    def __init__(self, iterator: Iterator[bytes], closers: list[Callable[[], Any]]) -> None:
        self._iterator = iterator
        self._closers = closers

    def __iter__(self) -> Iterator[bytes]:
        return self._iterator

    def close(self) -> None:
        errors: list[BaseException] = []
        for closer in self._closers:
            try:
                closer()
            except Exception as exc:  # keep closing the rest; report the first failure
                errors.append(exc)
        if errors:
            raise errors[0]


def _file_chunks(stream: Any, block_size: int) -> Iterator[bytes]:
    read = stream.read
    while True:
        chunk = read(block_size)
        if not chunk:
            return
        yield chunk


class App:
    """A WSGI application (see ``lanner.asgi.App`` for ASGI).

    Args:
        media_type: Default media type for request parsing and response rendering.
        request_type: Request class to instantiate per request (default :class:`lanner.Request`).
        response_type: Response class (default :class:`lanner.Response`).
        middleware: One middleware component or an iterable of them.
        router: A router object (see :class:`lanner.typing.Router`); defaults to
            ``lanner.routing.CompiledRouter`` from the lanner-routing distribution.
        independent_middleware: Run every ``process_response`` even when an earlier
            ``process_request`` failed (Falcon's default).
        cors_enable: Add a default :class:`lanner.CORSMiddleware` after the given middleware.
        sink_before_static_route: Try sinks before static routes when no route matches.
    """

    _ASGI: ClassVar[bool] = False
    _META_METHODS: ClassVar[frozenset[str]] = frozenset(constants._META_METHODS)
    _STREAM_BLOCK_SIZE: ClassVar[int] = 8 * 1024
    _default_request_type: ClassVar[type[Any]] = Request
    _default_response_type: ClassVar[type[Any]] = Response

    __slots__ = (
        '_cors_enable',
        '_error_handlers',
        '_fallback_routes',
        '_independent_middleware',
        '_middleware',
        '_middleware_stacks',
        '_request_type',
        '_response_type',
        '_router',
        '_router_search',
        '_serialize_error',
        '_sink_before_static_route',
        '_sinks',
        '_static_routes',
        'req_options',
        'resp_options',
        '__weakref__',
    )

    def __init__(
        self,
        media_type: str = constants.DEFAULT_MEDIA_TYPE,
        request_type: type[Any] | None = None,
        response_type: type[Any] | None = None,
        middleware: object | Iterable[object] | None = None,
        router: Router | None = None,
        independent_middleware: bool = True,
        cors_enable: bool = False,
        sink_before_static_route: bool = True,
    ) -> None:
        self._request_type = request_type or self._default_request_type
        self._response_type = response_type or self._default_response_type
        self.req_options = RequestOptions()
        self.resp_options = ResponseOptions()
        self.req_options.default_media_type = media_type
        self.resp_options.default_media_type = media_type

        if router is None:
            from lanner._members import import_member

            routing = import_member('routing', 'An App without router= (the default router)')
            router = routing.CompiledRouter()
        self._router = router
        self._router_search = router.find

        self._sinks: list[tuple[Any, Callable[..., Any]]] = []
        self._static_routes: list[Any] = []
        self._fallback_routes: tuple[tuple[Any, Callable[..., Any], bool], ...] = ()
        self._sink_before_static_route = sink_before_static_route

        self._independent_middleware = independent_middleware
        self._cors_enable = cors_enable
        self._middleware: list[object] = []
        components = self._as_components(middleware)
        if cors_enable:
            from lanner.middleware import CORSMiddleware

            if any(isinstance(c, CORSMiddleware) for c in components):
                raise ValueError(
                    'CORSMiddleware is not allowed together with cors_enable=True: '
                    'either pass cors_enable=True or add your own CORSMiddleware, not both.'
                )
            components.append(CORSMiddleware())
        self._middleware_stacks = self._prepare_middleware(components)
        self._middleware = components

        self._error_handlers: dict[type[BaseException], ErrorHandler] = {}
        self._serialize_error: ErrorSerializer = default_serialize_error
        self._install_default_error_handlers()

    # ------------------------------------------------------------------ registration

    @staticmethod
    def _as_components(middleware: object | Iterable[object] | None) -> list[object]:
        if middleware is None:
            return []
        if isinstance(middleware, (list, tuple)) or (
            isinstance(middleware, Iterable) and not hasattr(middleware, 'process_request')
            and not hasattr(middleware, 'process_response')
            and not hasattr(middleware, 'process_resource')
        ):
            return list(middleware)  # type: ignore[arg-type]
        return [middleware]

    def _prepare_middleware(self, components: list[object]) -> MiddlewareStacks:
        return prepare_middleware(components, self._independent_middleware, asgi=self._ASGI)

    def _install_default_error_handlers(self) -> None:
        self.add_error_handler(Exception, self._python_error_handler)
        self.add_error_handler(HTTPError, self._http_error_handler)
        self.add_error_handler(HTTPStatus, self._http_status_handler)

    @property
    def router_options(self) -> Any:
        """The router's ``options`` (e.g. to register custom converters)."""
        return self._router.options

    def add_middleware(self, middleware: object | Iterable[object]) -> None:
        """Append one middleware component or an iterable of them."""
        components = self._as_components(middleware)
        if self._cors_enable:
            from lanner.middleware import CORSMiddleware

            if any(isinstance(c, CORSMiddleware) for c in components):
                raise ValueError(
                    'CORSMiddleware is not allowed together with cors_enable=True: '
                    'the App already added one.'
                )
        combined = self._middleware + components
        self._middleware_stacks = self._prepare_middleware(combined)
        self._middleware = combined

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
        """Route requests whose path matches ``uri_template`` to ``resource``'s responders.

        Raises:
            TypeError: ``uri_template`` is not a string.
            ValueError: ``uri_template`` does not start with ``/`` or contains ``//``.
        """
        if not isinstance(uri_template, str):
            raise TypeError(
                f'uri_template must be a str such as "/items/{{item_id}}", '
                f'not {type(uri_template).__name__}'
            )
        if not uri_template.startswith('/'):
            raise ValueError(f'uri_template must start with "/": {uri_template!r}')
        if '//' in uri_template:
            raise ValueError(f'uri_template must not contain empty segments ("//"): {uri_template!r}')
        self._check_resource(resource)
        self._router.add_route(uri_template, resource, **self._route_kwargs(kwargs))

    def _route_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return kwargs

    def _check_resource(self, resource: object) -> None:
        """Flavour-specific checks before a resource reaches the router (none for WSGI)."""

    def url_for(self, resource_or_name: object, /, **params: Any) -> str:
        """Build the path of a registered route from its resource (or ``name=``) and fields."""
        url_for = getattr(self._router, 'url_for', None)
        if url_for is None:
            raise TypeError(
                f'{type(self._router).__name__} does not support reverse routing (it has no '
                'url_for method); use lanner.routing.CompiledRouter or implement url_for.'
            )
        result: str = url_for(resource_or_name, **params)
        return result

    def add_static_route(
        self,
        prefix: str,
        directory: Any,
        downloadable: bool = False,
        fallback_filename: str | None = None,
    ) -> None:
        """Serve files under ``directory`` for paths starting with ``prefix`` (LIFO order)."""
        from lanner import static

        route_type = static.StaticRouteAsync if self._ASGI else static.StaticRoute
        route = route_type(
            prefix, directory, downloadable=downloadable, fallback_filename=fallback_filename
        )
        self._static_routes.insert(0, route)
        self._update_fallback_routes()

    def add_sink(self, sink: Callable[..., Any], prefix: str | re.Pattern[str] = r'/') -> None:
        """Send requests that match no route and whose path matches ``prefix`` to ``sink``."""
        if not callable(sink):
            raise TypeError(f'sink must be callable, not {type(sink).__name__}')
        self._check_sink(sink)
        if not hasattr(prefix, 'match'):
            prefix = re.compile(prefix)  # type: ignore[arg-type]
        self._sinks.insert(0, (prefix, sink))
        self._update_fallback_routes()

    def _check_sink(self, sink: Callable[..., Any]) -> None:
        target = getattr(sink, '__call__', sink) if not callable(getattr(sink, '__func__', None)) else sink
        if iscoroutinefunction(sink) or iscoroutinefunction(target):
            raise CompatibilityError(
                'The sink is a coroutine function, but lanner.App (WSGI) calls sinks '
                'synchronously. Use a plain function, or serve the app with lanner.asgi.App.'
            )

    def _update_fallback_routes(self) -> None:
        sinks = [(pattern, sink, True) for pattern, sink in self._sinks]
        statics = [(route, route, False) for route in self._static_routes]
        ordered = sinks + statics if self._sink_before_static_route else statics + sinks
        self._fallback_routes = tuple(ordered)

    def add_error_handler(
        self,
        exception: type[BaseException] | Iterable[type[BaseException]],
        handler: ErrorHandler | None = None,
    ) -> None:
        """Register ``handler(req, resp, ex, params)`` for an exception class (or several)."""
        if handler is None:
            if not isinstance(exception, type):
                raise TypeError(
                    'A handler must be given when registering several exception classes at once.'
                )
            try:
                handler = exception.handle  # type: ignore[attr-defined]
            except AttributeError:
                raise AttributeError(
                    f'No handler was given for {exception.__name__} and it has no "handle" '
                    'static method; pass handler=... explicitly.'
                ) from None
        handler = self._wrap_error_handler(handler)
        classes = [exception] if isinstance(exception, type) else list(exception)
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Exception)):
                raise TypeError(f'{cls!r} is not a subclass of Exception')
        for cls in classes:
            self._error_handlers[cls] = handler

    def _wrap_error_handler(self, handler: ErrorHandler) -> ErrorHandler:
        if iscoroutinefunction(handler):
            raise CompatibilityError(
                'The error handler is a coroutine function, but lanner.App (WSGI) calls handlers '
                'synchronously. Use a plain function, or serve the app with lanner.asgi.App.'
            )
        return handler

    def set_error_serializer(self, serializer: ErrorSerializer) -> None:
        """Replace the default error serializer: ``serializer(req, resp, exception)``."""
        self._serialize_error = serializer

    # ------------------------------------------------------------------ routing

    def _get_responder(
        self, req: Any
    ) -> tuple[Callable[..., Any], dict[str, Any], object | None, str | None]:
        path = req.path
        route = self._router_search(path, req=req)
        if route is not None:
            if len(route) == 4:
                resource, method_map, params, uri_template = route
            else:  # legacy 3-tuple routers
                resource, method_map, params = route
                uri_template = None
            if resource is not None:
                try:
                    responder = method_map[req.method]
                except KeyError:
                    responder = self._bad_request_responder()
                return responder, params, resource, uri_template
        for matcher, target, is_sink in self._fallback_routes:
            match = matcher.match(path)
            if match:
                if is_sink:
                    return target, match.groupdict(), None, None
                return target, {}, None, None
        return self._path_not_found_responder(), {}, None, None

    def _bad_request_responder(self) -> Callable[..., Any]:
        from lanner import responders

        return responders.bad_request

    def _path_not_found_responder(self) -> Callable[..., Any]:
        from lanner import responders

        return responders.path_not_found

    # ------------------------------------------------------------------ errors

    def _find_error_handler(self, ex: BaseException) -> ErrorHandler | None:
        handlers = self._error_handlers
        for cls in type(ex).__mro__:
            handler = handlers.get(cls)
            if handler is not None:
                return handler
        return None

    def _handle_exception(self, req: Any, resp: Any, ex: Exception, params: dict[str, Any]) -> bool:
        handler = self._find_error_handler(ex)
        if handler is None:
            return False
        resp.text = None
        resp.data = None
        resp.media = None
        try:
            handler(req, resp, ex, params)
        except HTTPStatus as status:
            self._compose_status_response(req, resp, status)
        except HTTPError as error:
            self._compose_error_response(req, resp, error)
        return True

    def _compose_status_response(self, req: Any, resp: Any, status: HTTPStatus) -> None:
        resp.status = status.status
        if status.headers:
            resp.set_headers(status.headers)
        resp.text = status.text

    def _compose_error_response(self, req: Any, resp: Any, error: HTTPError) -> None:
        resp.status = error.status
        if error.headers:
            resp.set_headers(error.headers)
        self._serialize_error(req, resp, error)

    def _http_status_handler(self, req: Any, resp: Any, status: HTTPStatus, params: Any) -> None:
        self._compose_status_response(req, resp, status)

    def _http_error_handler(self, req: Any, resp: Any, error: HTTPError, params: Any) -> None:
        self._compose_error_response(req, resp, error)

    def _python_error_handler(self, req: Any, resp: Any, error: Exception, params: Any) -> None:
        req.log_error(''.join(traceback.format_exception(type(error), error, error.__traceback__)))
        self._compose_error_response(req, resp, HTTPInternalServerError())

    # ------------------------------------------------------------------ the request loop

    def __call__(self, env: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        req = self._request_type(env, options=self.req_options)
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
                        process_request(req, resp)
                if not resp.complete:
                    responder, params, resource, req.uri_template = self._get_responder(req)
            except Exception as ex:
                if not self._handle_exception(req, resp, ex, params):
                    raise
            else:
                try:
                    if resource is not None:
                        for process_resource in resource_mw:
                            process_resource(req, resp, resource, params)
                            if resp.complete:
                                break
                    if not resp.complete:
                        responder(req, resp, **params)
                    req_succeeded = True
                except Exception as ex:
                    if not self._handle_exception(req, resp, ex, params):
                        raise
        finally:
            # PERF: independent stacks are prebuilt; dependent ones are built as the loop runs.
            for process_response in response_mw or reversed(dependent_responses):
                try:
                    process_response(req, resp, resource, req_succeeded)
                except Exception as ex:
                    if not self._handle_exception(req, resp, ex, params):
                        raise
                    req_succeeded = False

        body: Iterable[bytes] = ()
        length: int | None = 0
        try:
            data = resp.render_body()
        except Exception as ex:
            if not self._handle_exception(req, resp, ex, params):
                raise
            data = None
            stream = None
        else:
            stream = resp.stream if data is None else None
        if data is not None:
            body = (data,)
            length = len(data)
        elif stream is not None:
            length = None
            body = self._stream_body(env, stream)

        status = resp.status
        # PERF: a str status (the common case, e.g. lanner.HTTP_200) needs no normalisation.
        if type(status) is not str:
            status = code_to_http_status(status)
        headers = resp._headers
        default_type: str | None = self.resp_options.default_media_type
        if req.method == 'HEAD' or status in _BODILESS_LINES:
            if status in _NO_CONTENT_TYPE_LINES:
                default_type = None
            elif length is not None and 'content-length' not in headers:
                headers['content-length'] = str(length)
            close = getattr(body, 'close', None)
            if close is not None:
                close()
            body = ()
        elif length is not None:
            headers['content-length'] = str(length)

        start_response(status, resp._wsgi_headers(default_type))
        return body

    def _stream_body(self, env: WSGIEnviron, stream: Any) -> Iterable[bytes]:
        if hasattr(stream, 'read'):
            wrapper = env.get('wsgi.file_wrapper')
            if wrapper is not None:
                return wrapper(stream, self._STREAM_BLOCK_SIZE)  # type: ignore[no-any-return]
            closers: list[Callable[[], Any]] = []
            if hasattr(stream, 'close'):
                closers.append(stream.close)
            return _ClosingIterator(_file_chunks(stream, self._STREAM_BLOCK_SIZE), closers)
        return stream  # type: ignore[no-any-return]


class API(App):
    """Deprecated alias of :class:`App` (kept for Falcon 2 style code)."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from lanner.util.deprecation import DeprecatedWarning
        import warnings

        warnings.warn(
            'API class will be removed in a future release; use lanner.App instead.',
            DeprecatedWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)
