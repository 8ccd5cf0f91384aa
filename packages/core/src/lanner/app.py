"""The WSGI application: registration API and the request loop.

Invariants:
- Everything that can be decided when routes, sinks, middleware and handlers are registered is
  decided then (validation, method binding, middleware stacks). ``__call__`` only iterates over
  prepared tuples.
- Error handlers are looked up along the exception's MRO; the latest registration for a class wins
  (registration, lookup, the default handlers and error composition are the
  :class:`~lanner._app.errors.ErrorHandlingMixin` base, in :mod:`lanner._app.errors`).
- An ``Exception`` raised by middleware, hooks, responders or body rendering goes to the error
  handlers and becomes a response. As in Falcon, what an error handler or the error serializer
  raises (other than ``HTTPError``/``HTTPStatus``/``UnsafeValueError``), and an error raised while
  the response is started (an invalid status), propagate to the server, reported to the error
  reporter; ``process_teardown`` still runs. So do ``BaseException`` (KeyboardInterrupt,
  SystemExit...) and errors raised while the server iterates a streamed body.
- The body is rendered once, after all ``process_response`` middleware. An error raised while
  rendering is handled, but the body is not rendered again (the client gets the error's status
  and headers with an empty body), as in Falcon.

Request lifecycle (see docs/middleware.md for the diagram): ``process_request`` (registration
order) -> routing -> ``process_resource`` (registration order) -> responder -> ``process_response``
(reverse order) -> body rendering -> ``start_response`` -> the server iterates and closes the body
-> ``process_teardown`` (reverse order; lanner addition).

The ASGI App (``lanner.asgi.App``) subclasses this class and shares everything but the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
import re
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from lanner import app_helpers, constants, responders, status_codes
from lanner._app.errors import ErrorHandlingMixin, check_wsgi_framing
from lanner._app.header_limits import NO_LIMIT, check_wsgi_headers
from lanner._wire.framing import BODILESS_LINES, NO_CONTENT_TYPE_LINES
from lanner.app_helpers import (
    MiddlewareStacks,
    default_serialize_error,
    is_coroutine_callable,
    prepare_teardown,
)
from lanner.errors import (
    CompatibilityError,
    HTTPBadRequest,
)
from lanner.request import Request, RequestOptions
from lanner.response import Response, ResponseOptions
from lanner.util.misc import code_to_http_status

if TYPE_CHECKING:
    from typing_extensions import TypeVar  # PEP 696 defaults; only type checkers read this

    from lanner.typing import ErrorHandler, Router, StartResponse, WSGIEnviron

    _ReqT = TypeVar('_ReqT', bound=Request, default=Request)
    _RespT = TypeVar('_RespT', bound=Response, default=Response)
else:
    from typing import TypeVar

    _ReqT = TypeVar('_ReqT', bound=Request)
    _RespT = TypeVar('_RespT', bound=Response)

__all__ = ('API', 'App')

# Status lines WSGI treats as bodiless (Falcon compares the rendered line, not the code).
_KNOWN_STATUS_LINES = frozenset(getattr(status_codes, name) for name in status_codes.__all__)

# Names that make an object look like one middleware component rather than an iterable of them.
_COMPONENT_METHODS = (
    'process_request',
    'process_resource',
    'process_response',
    'process_request_async',
    'process_resource_async',
    'process_response_async',
    'process_teardown',
    'process_startup',
    'process_shutdown',
    'process_request_ws',
    'process_resource_ws',
)


_OptionsT = TypeVar('_OptionsT')


def _options(given: _OptionsT | None, cls: type[_OptionsT], name: str) -> _OptionsT:
    """The options object an App was given (checked), or a fresh one."""
    if given is None:
        return cls()
    if not isinstance(given, cls):
        raise TypeError(
            f'{name} must be a lanner.{cls.__name__} instance, not {type(given).__name__}; '
            f'build one with lanner.{cls.__name__}() and set its attributes.'
        )
    return given


def _close_quietly(obj: Any) -> None:
    close = getattr(obj, 'close', None)
    if close is not None:
        try:
            close()
        except Exception:
            pass  # best effort: the object is being discarded after another failure


class _ClosingIterator:
    """Reads a file-like stream in blocks and closes it when the server closes the body."""

    __slots__ = ('_block_size', '_stream')

    def __init__(self, stream: Any, block_size: int) -> None:
        self._stream = stream
        self._block_size = block_size

    def __iter__(self) -> Iterator[bytes]:
        read = self._stream.read
        block_size = self._block_size
        while True:
            chunk = read(block_size)
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        close = getattr(self._stream, 'close', None)
        if callable(close):  # some file-likes have a non-callable "close" attribute
            close()


class _TeardownBody:
    """A WSGI body that runs ``process_teardown`` middleware when the server closes it.

    PEP 3333 servers call ``close()`` once the response is over for any reason (sent completely,
    client gone, write error), which is exactly when teardown must run.
    """

    __slots__ = (
        '_app',
        '_body',
        '_closed',
        '_completed',
        '_iterator',
        '_req',
        '_resource',
        '_resp',
    )

    def __init__(
        self, app: App[Any, Any], body: Iterable[bytes], req: Any, resp: Any, resource: Any
    ) -> None:
        self._app = app
        self._body = body
        self._iterator = iter(body)
        self._req = req
        self._resp = resp
        self._resource = resource
        self._completed = False
        self._closed = False

    def __iter__(self) -> _TeardownBody:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._iterator)
        except StopIteration:
            self._completed = True
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            close = getattr(self._body, 'close', None)
            if close is not None:
                close()
        finally:
            self._app._run_teardown(self._req, self._resp, self._resource, self._completed)


class App(ErrorHandlingMixin, Generic[_ReqT, _RespT]):
    """A WSGI application (see ``lanner.asgi.App`` for ASGI).

    Generic in its request and response types, as Falcon's: ``lanner.App[MyRequest,
    MyResponse](request_type=MyRequest, response_type=MyResponse)``; a bare ``App`` means
    ``App[Request, Response]`` to type checkers.

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
        req_options: A :class:`lanner.RequestOptions` to use as ``app.req_options`` (lanner
            addition; Falcon sets the attribute after
            construction). ``media_type``, when given, still sets its ``default_media_type``.
        resp_options: A :class:`lanner.ResponseOptions` to use as ``app.resp_options``
            (likewise).
        secure_cookies_by_default: Sets ``resp_options.secure_cookies_by_default`` (None:
            leave it, True by default).
    """

    _ASGI: ClassVar[bool] = False
    _META_METHODS: ClassVar[frozenset[str]] = frozenset(constants.META_METHODS)
    _STREAM_BLOCK_SIZE: ClassVar[int] = 8 * 1024
    _default_request_type: ClassVar[type[Any]] = Request
    _default_response_type: ClassVar[type[Any]] = Response
    _default_responder_bad_request: ClassVar[Callable[..., Any]] = staticmethod(
        responders.bad_request
    )
    _default_responder_path_not_found: ClassVar[Callable[..., Any]] = staticmethod(
        responders.path_not_found
    )

    __slots__ = (
        '__weakref__',
        '_cors_enable',
        '_error_handler_cache',
        '_error_handlers',
        '_fallback_routes',
        '_independent_middleware',
        '_middleware',
        '_new_request',
        '_new_response',
        '_report_error',
        '_request_type',
        '_response_type',
        '_router',
        '_router_search',
        '_serialize_error',
        '_sink_before_static_route',
        '_sinks',
        '_static_routes',
        '_teardown_mw',
        '_unprepared_middleware',
        'req_options',
        'resp_options',
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
        *,
        req_options: RequestOptions | None = None,
        resp_options: ResponseOptions | None = None,
        secure_cookies_by_default: bool | None = None,
    ) -> None:
        self._request_type = request_type or self._default_request_type
        self._response_type = response_type or self._default_response_type
        # PERF: calling a class with keyword arguments costs a dict per call; the stock classes
        # (and subclasses that keep their __init__) are called positionally.
        self._new_request: Callable[..., Any] = self._request_factory()
        self._new_response: Callable[..., Any] = self._response_factory()
        self.req_options = _options(req_options, RequestOptions, 'req_options')
        self.resp_options = _options(resp_options, ResponseOptions, 'resp_options')
        # Given options keep their own default media type unless media_type says otherwise.
        if req_options is None or media_type != constants.DEFAULT_MEDIA_TYPE:
            self.req_options.default_media_type = media_type
        if resp_options is None or media_type != constants.DEFAULT_MEDIA_TYPE:
            self.resp_options.default_media_type = media_type
        if secure_cookies_by_default is not None:
            self.resp_options.secure_cookies_by_default = bool(secure_cookies_by_default)

        if router is None:
            from lanner._members import import_member

            routing = import_member('routing', 'An App without router= (the default router)')
            router = routing.CompiledRouter()
        self._router: Any = router
        self._router_search = router.find

        self._sinks: list[tuple[Any, Callable[..., Any]]] = []
        self._static_routes: list[Any] = []
        self._fallback_routes: tuple[tuple[Any, Callable[..., Any], bool], ...] = ()
        self._sink_before_static_route = sink_before_static_route

        self._independent_middleware = independent_middleware
        self._cors_enable = cors_enable
        self._unprepared_middleware: list[object] = []
        components = self._as_components(middleware)
        if cors_enable:
            from lanner.middleware import CORSMiddleware

            if any(isinstance(c, CORSMiddleware) for c in components):
                raise ValueError(
                    'CORSMiddleware is not allowed together with cors_enable=True: either pass '
                    'cors_enable=True or add your own CORSMiddleware, not both.'
                )
            components.append(CORSMiddleware())
        self._set_middleware(components)

        self._error_handlers: dict[type[BaseException], ErrorHandler] = {}
        self._error_handler_cache: dict[type[BaseException], ErrorHandler] = {}
        self._serialize_error: Callable[..., None] = default_serialize_error
        self._report_error: Callable[[Any, Exception, dict[str, Any], bool], None] | None = None
        self._install_default_error_handlers()

    def _request_factory(self) -> Callable[..., Any]:
        """``(env, options) -> request``; a custom ``__init__`` gets ``options`` by keyword."""
        cls = self._request_type
        if cls.__init__ is self._default_request_type.__init__:
            return cls
        return lambda env, options: cls(env, options=options)

    def _response_factory(self) -> Callable[..., Any]:
        """``(options) -> response``; a custom ``__init__`` gets ``options`` by keyword."""
        cls = self._response_type
        if cls.__init__ is self._default_response_type.__init__:
            return cls
        return lambda options: cls(options=options)

    # ------------------------------------------------------------------ registration

    @staticmethod
    def _as_components(middleware: object | Iterable[object] | None) -> list[object]:
        if middleware is None:
            return []
        if any(hasattr(middleware, name) for name in _COMPONENT_METHODS):
            return [middleware]
        if isinstance(middleware, Iterable) and not isinstance(middleware, (str, bytes)):
            return list(middleware)
        # Not a component and not iterable: prepare_middleware reports it with a clear TypeError.
        return [middleware]

    # Falcon's shape, which add-ons read and write (sentry-sdk,
    # opentelemetry-instrumentation-falcon, docs/ecosystem.md): ``_unprepared_middleware`` is
    # the list of components, ``_middleware`` the stacks ``__call__`` runs, and
    # ``_prepare_middleware`` turns the one into the other. An add-on that edits the list and
    # assigns ``app._middleware = app._prepare_middleware(...)`` changes what the next request
    # runs.

    def _set_middleware(self, components: list[object]) -> None:
        """Validate and bind ``components``; assign only when all of them are acceptable."""
        self._middleware: MiddlewareStacks = self._prepare_middleware(
            components, independent_middleware=self._independent_middleware
        )
        self._unprepared_middleware = components

    def _prepare_middleware(
        self, middleware: Iterable[object] | None = None, independent_middleware: bool = False
    ) -> MiddlewareStacks:
        """Bind ``middleware`` into the stacks that ``__call__`` runs, and return them.

        The methods the stacks do not hold (``process_teardown``; on ASGI the lifespan and
        WebSocket methods) are rebound here too, so that the result describes the same
        components everywhere. Nothing changes unless every component is acceptable.
        """
        components = list(middleware or ())
        # Looked up on the module at call time, not imported by name: add-ons (sentry-sdk)
        # replace app_helpers.prepare_middleware and expect Apps built afterwards to call theirs.
        stacks: MiddlewareStacks = app_helpers.prepare_middleware(
            components, independent_middleware, asgi=self._ASGI
        )
        teardown = prepare_teardown(components, asgi=self._ASGI)
        self._teardown_mw: tuple[Callable[..., Any], ...] = teardown
        return stacks

    @property
    def router_options(self) -> Any:
        """The router's ``options`` (e.g. to register custom converters)."""
        return self._router.options

    def add_middleware(self, middleware: object | Iterable[object]) -> None:
        """Append one middleware component or an iterable of them.

        The whole stack is validated and rebuilt; on error the App is left unchanged.

        Raises:
            TypeError: An object implements none of the middleware methods.
            CompatibilityError: A method's sync/async flavour does not match the App.
            ValueError: A :class:`lanner.CORSMiddleware` was added to an App built with
                ``cors_enable=True``.
        """
        components = self._as_components(middleware)
        if self._cors_enable:
            from lanner.middleware import CORSMiddleware

            if any(isinstance(c, CORSMiddleware) for c in components):
                raise ValueError(
                    'CORSMiddleware is not allowed together with cors_enable=True: the App '
                    'already added one. Remove cors_enable=True to configure your own.'
                )
        self._set_middleware(self._unprepared_middleware + components)

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
        """Route requests whose path matches ``uri_template`` to ``resource``'s responders.

        Args:
            uri_template: The path template, e.g. ``'/items/{item_id}'``.
            resource: An object with responders (``on_get``, ``on_post``...).
            **kwargs: Passed to the router (e.g. ``suffix='collection'``, ``compile=True``).

        Raises:
            TypeError: ``uri_template`` is not a string, or a responder's sync/async flavour
                does not match the App.
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
            raise ValueError(
                f'uri_template must not contain empty segments ("//"): {uri_template!r}'
            )
        self._check_resource(resource, kwargs)
        self._router.add_route(uri_template, resource, **self._route_kwargs(kwargs))

    def _route_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return kwargs

    def _check_resource(self, resource: object, kwargs: dict[str, Any]) -> None:
        """Check the resource's responders suit the App flavour, whatever the router."""
        from lanner.router_support import (
            SuffixedMethodNotFoundError,
            map_http_methods,
            validate_responders,
        )

        try:
            method_map = map_http_methods(resource, suffix=kwargs.get('suffix'))
        except SuffixedMethodNotFoundError:
            return  # the router reports it (it may know about on_request_<suffix>)
        validate_responders(method_map, asgi=self._ASGI)

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
        """Send requests that match no route and whose path matches ``prefix`` to ``sink``.

        Args:
            sink: ``sink(req, resp, **groups)`` (``async`` with ``ws=None`` on ASGI).
            prefix: A regex string or any object with ``match`` (anchored at the start of the
                path); named groups become keyword arguments. The latest sink added wins.

        Raises:
            TypeError: ``sink`` is not callable.
            CompatibilityError: The sink's sync/async flavour does not match the App.
        """
        if not callable(sink):
            raise TypeError(f'sink must be callable, not {type(sink).__name__}')
        sink = self._check_sink(sink)
        if not hasattr(prefix, 'match'):
            prefix = re.compile(prefix)
        self._sinks.insert(0, (prefix, sink))
        self._update_fallback_routes()

    def _check_sink(self, sink: Callable[..., Any]) -> Callable[..., Any]:
        if is_coroutine_callable(sink):
            raise CompatibilityError(
                f'The sink {sink!r} is a coroutine function, but lanner.App (WSGI) calls sinks '
                'synchronously. Use a plain function, or serve the app with lanner.asgi.App.'
            )
        return sink

    def _update_fallback_routes(self) -> None:
        sinks = [(pattern, sink, True) for pattern, sink in self._sinks]
        statics = [(route, route, False) for route in self._static_routes]
        ordered = sinks + statics if self._sink_before_static_route else statics + sinks
        self._fallback_routes = tuple(ordered)

    # ------------------------------------------------------------------ routing

    def _get_responder(
        self, req: Any
    ) -> tuple[Callable[..., Any], dict[str, Any], object | None, str | None]:
        return self._responder_for(req, self._router_search(req.path, req=req))

    def _responder_for(
        self, req: Any, route: Any
    ) -> tuple[Callable[..., Any], dict[str, Any], object | None, str | None]:
        """The responder for the router's answer ``route`` (sinks and static routes on a miss)."""
        path = req.path
        if route is not None:
            try:
                resource, method_map, params, uri_template = route
            except ValueError:  # a legacy router returning (resource, method_map, params)
                resource, method_map, params = route
                uri_template = None
            if resource is not None:
                try:
                    responder = method_map[req.method]
                except KeyError:
                    responder = self._default_responder_bad_request
                return responder, params, resource, uri_template
        for matcher, target, is_sink in self._fallback_routes:
            match = matcher.match(path)
            if match:
                if is_sink:
                    return target, match.groupdict(), None, None
                return target, {}, None, None
        return self._default_responder_path_not_found, {}, None, None

    # ------------------------------------------------------------------ the request loop

    def __call__(self, env: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        options = self.req_options
        req = self._new_request(env, options)
        resp = self._new_response(self.resp_options)
        resource: object | None = None
        params: dict[str, Any] = {}
        request_mw, resource_mw, response_mw = self._middleware
        # Dependent middleware only: process_response methods queued as the request phase runs.
        # PERF: the list is only made when a dependent stack actually queues something.
        dependent: list[Callable[..., Any]] | None = None
        req_succeeded = False

        try:
            # The header backstop (431, lanner._app.header_limits): the field count here, on every
            # request. PERF: len(env) bounds the count from above (O(1)); the exact count runs
            # only above it. The bytes are not checked here: no O(1) bound on them exists (the
            # server folded the head into the dict) and summing the environ cost about 1.3 us a
            # request. req.get_header() and req.headers check them where the values are read;
            # a header nobody reads is already parsed and held by the server, and costs nothing.
            if len(env) > options._max_header_count:
                check_wsgi_headers(env, options._max_header_count, NO_LIMIT)
            if req.method in self._META_METHODS:
                raise HTTPBadRequest()
            # Request smuggling defence (RFC 9112 6.1), and no chunked body read as empty (411
            # unless the server promises wsgi.input_terminated).
            # PERF: one dict lookup per request; the rest only for the rare chunked request.
            if 'HTTP_TRANSFER_ENCODING' in env:
                check_wsgi_framing(env)
            for process_request, process_response in request_mw:
                if process_request is not None and not resp.complete:
                    process_request(req, resp)
                # Queued after process_request returned: a raising component is not unwound.
                if process_response is not None:
                    if dependent is None:
                        dependent = []
                    dependent.append(process_response)
            if not resp.complete:
                # PERF: a matched route is unpacked here; everything else (a legacy 3-tuple
                # router, sinks, static routes, 404) is left to _responder_for.
                route = self._router_search(req.path, req=req)
                if route is not None and len(route) == 4 and route[0] is not None:
                    resource, method_map, params, req.uri_template = route
                    try:
                        responder = method_map[req.method]
                    except KeyError:
                        responder = self._default_responder_bad_request
                else:
                    responder, params, resource, req.uri_template = self._responder_for(req, route)
        except Exception as ex:
            if not self._handle_in_call(req, resp, ex, params, resource):
                raise
        else:
            try:
                if resource is not None:
                    for process_resource in resource_mw:
                        process_resource(req, resp, resource, params)
                        if resp.complete:
                            break
                if not resp.complete:
                    # PERF: a plain call when the route has no fields (no ** unpacking).
                    if params:
                        responder(req, resp, **params)
                    else:
                        responder(req, resp)
                req_succeeded = True
            except Exception as ex:
                if not self._handle_in_call(req, resp, ex, params, resource):
                    raise

        # PERF: independent stacks are prebuilt; dependent ones were built as the loop ran.
        for process_response in response_mw or (reversed(dependent) if dependent else ()):
            try:
                process_response(req, resp, resource, req_succeeded)
            except Exception as ex:
                if not self._handle_in_call(req, resp, ex, params, resource):
                    raise
                req_succeeded = False

        body: Iterable[bytes] = ()
        length: int | None = 0
        try:
            if resp.sse is not None:
                from lanner._sse.wsgi_body import wsgi_body

                body = wsgi_body(self, resp)
                length = None
            else:
                data = resp.render_body()
                if data is not None:
                    body = (data,)
                    length = len(data)
                elif resp.stream is not None:
                    body = self._stream_body(env, resp.stream)
                    length = None
        except Exception as ex:
            _close_quietly(resp.stream)
            if not self._handle_in_call(req, resp, ex, params, resource):
                raise
            body = ()
            length = 0

        try:
            status = resp.status
            # PERF: a known status line (the common case, e.g. lanner.HTTP_200) is one frozenset
            # lookup; anything else is normalised and validated (cached), so an app-supplied
            # string with CR/LF can never reach start_response.
            if type(status) is not str or status not in _KNOWN_STATUS_LINES:
                status = code_to_http_status(status)
            headers = resp._headers
            default_type: str | None = self.resp_options.default_media_type
            if req.method == 'HEAD' or status in BODILESS_LINES:
                if status in NO_CONTENT_TYPE_LINES:
                    default_type = None
                elif (
                    length is not None and req.method == 'HEAD' and 'content-length' not in headers
                ):
                    headers['content-length'] = str(length)
                _close_quietly(body)
                body = ()
            elif length is not None:
                headers['content-length'] = str(length)
            header_list = resp._wsgi_headers(default_type)
        except Exception as ex:
            # The response cannot be started (say, resp.status = object()): as in Falcon, the
            # exception goes to the server, which answers 500 and logs it.
            _close_quietly(body)
            self._report(req, ex, params, False)
            if self._teardown_mw:
                self._run_teardown(req, resp, resource, False)
            raise

        if self._teardown_mw:
            body = _TeardownBody(self, body, req, resp, resource)
        try:
            start_response(status, header_list)
        except BaseException:
            _close_quietly(body)
            raise
        return body

    def _stream_body(self, env: WSGIEnviron, stream: Any) -> Iterable[bytes]:
        if hasattr(stream, 'read'):
            wrapper = env.get('wsgi.file_wrapper')
            if wrapper is not None:
                return wrapper(stream, self._STREAM_BLOCK_SIZE)  # type: ignore[no-any-return]
            return _ClosingIterator(stream, self._STREAM_BLOCK_SIZE)
        return stream  # type: ignore[no-any-return]

    def _handle_in_call(
        self, req: Any, resp: Any, ex: Exception, params: dict[str, Any], resource: Any
    ) -> bool:
        """``_handle_exception`` for the request loop: teardown still runs when the error (or
        the handler's own) is about to leave the App, since no response body will close it."""
        if not self._teardown_mw:
            return self._handle_exception(req, resp, ex, params)
        try:
            handled = self._handle_exception(req, resp, ex, params)
        except BaseException:
            self._run_teardown(req, resp, resource, False)
            raise
        if not handled:
            self._run_teardown(req, resp, resource, False)
        return handled

    def _run_teardown(self, req: Any, resp: Any, resource: Any, completed: bool) -> None:
        for process_teardown in self._teardown_mw:
            try:
                process_teardown(req, resp, resource, completed)
            except Exception as ex:
                self._log_exception(req, ex, 'process_teardown failed')


class API(App):
    """Deprecated alias of :class:`App` (kept for Falcon 2 style code)."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        import warnings

        from lanner.util.deprecation import DeprecatedWarning

        warnings.warn(
            # Falcon's wording (code checks it); lanner removes it when Falcon does.
            'The API class will be removed in Falcon 5.0, use lanner.App instead.',
            DeprecatedWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)
