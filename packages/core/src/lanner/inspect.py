"""Inspect an App: routes, middleware, static routes, sinks and error handlers.

``import lanner.inspect`` explicitly (it is not loaded by ``import lanner``). The ``inspect_*``
functions return plain information objects; visitors turn them into text (:class:`StringVisitor`,
the format ``lanner-inspect-app`` and ``lanner routes`` print) or JSON-ready dicts
(:class:`DictVisitor`, a lanner addition used by ``lanner routes --json``).

Routers: :func:`inspect_routes` looks the App's router class up in a registry filled with
:func:`register_router`; lanner.routing's ``CompiledRouter`` (and any router exposing a
Falcon-style ``roots`` tree) is handled by :func:`inspect_compiled_router`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
import functools
import inspect as _inspect
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from lanner.typing import RouteTree

__all__ = (
    'AppInfo',
    'DictVisitor',
    'ErrorHandlerInfo',
    'InspectVisitor',
    'MiddlewareClassInfo',
    'MiddlewareInfo',
    'MiddlewareMethodInfo',
    'MiddlewareTreeInfo',
    'MiddlewareTreeItemInfo',
    'RouteInfo',
    'RouteMethodInfo',
    'SinkInfo',
    'StaticRouteInfo',
    'StringVisitor',
    'inspect_app',
    'inspect_compiled_router',
    'inspect_error_handlers',
    'inspect_middleware',
    'inspect_middlewares',
    'inspect_routes',
    'inspect_sinks',
    'inspect_static_routes',
    'register_router',
)

_RouterInspector = Callable[[Any], 'list[RouteInfo]']
_supported_routers: dict[type, _RouterInspector] = {}

_UNKNOWN_SOURCE = '[unknown file]'
_HTTP_MIDDLEWARE = ('process_request', 'process_resource', 'process_response')


# ---------------------------------------------------------------------- inspect functions


def inspect_app(app: Any) -> AppInfo:
    """Collect everything about ``app`` (a ``lanner.App`` or ``lanner.asgi.App``)."""
    return AppInfo(
        inspect_routes(app),
        inspect_middleware(app),
        inspect_static_routes(app),
        inspect_sinks(app),
        inspect_error_handlers(app),
        app._ASGI,
    )


def inspect_routes(app: Any) -> list[RouteInfo]:
    """Collect the App's routes through the inspector registered for its router class.

    Raises:
        TypeError: No inspector is registered for the router (see :func:`register_router`).
    """
    router = app._router
    for cls in type(router).__mro__:
        inspector = _supported_routers.get(cls)
        if inspector is not None:
            return inspector(router)
    raise TypeError(
        f'Unsupported router class {type(router).__name__!r}: register an inspector for it with '
        '@lanner.inspect.register_router(RouterClass), a function taking the router and '
        'returning a list of RouteInfo.'
    )


def register_router(router_class: type) -> Callable[[_RouterInspector], _RouterInspector]:
    """Decorator registering ``func(router) -> list[RouteInfo]`` for a custom router class.

    Raises:
        ValueError: An inspector is already registered for ``router_class``.
    """

    def wrapper(inspector: _RouterInspector) -> _RouterInspector:
        if router_class in _supported_routers:
            raise ValueError(
                f'Another function is already registered for the router {router_class!r}.'
            )
        _supported_routers[router_class] = inspector
        return inspector

    return wrapper


def inspect_compiled_router(router: RouteTree) -> list[RouteInfo]:
    """Collect the routes of a ``CompiledRouter`` (or any :class:`lanner.typing.RouteTree`).

    Each node of the tree has ``children``, and route nodes carry ``resource``, ``method_map``
    and ``uri_template``. Routes are listed depth first, in insertion order.
    """
    routes: list[RouteInfo] = []
    stack = list(reversed(router.roots))
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.children))
        if node.method_map is None:
            continue  # no route ends here
        methods = []
        for method, responder in node.method_map.items():
            source_info, name = _source_info_and_name(responder)
            methods.append(RouteMethodInfo(method, source_info, name, _is_internal(responder)))
        source_info, class_name = _source_info_and_name(node.resource)
        routes.append(RouteInfo(node.uri_template or '', class_name, source_info, methods))
    return routes


def inspect_static_routes(app: Any) -> list[StaticRouteInfo]:
    """Collect the App's static routes (latest added first, as they are matched)."""
    return [
        StaticRouteInfo(route.prefix, route.directory, route.fallback_filename)
        for route in app._static_routes
    ]


def inspect_sinks(app: Any) -> list[SinkInfo]:
    """Collect the App's sinks (latest added first, as they are matched)."""
    sinks = []
    for prefix, sink in app._sinks:
        source_info, name = _source_info_and_name(sink)
        sinks.append(SinkInfo(getattr(prefix, 'pattern', str(prefix)), name, source_info))
    return sinks


def inspect_error_handlers(app: Any) -> list[ErrorHandlerInfo]:
    """Collect the App's error handlers (including the framework defaults, marked internal)."""
    handlers = []
    for exception, handler in app._error_handlers.items():
        source_info, name = _source_info_and_name(handler)
        handlers.append(
            ErrorHandlerInfo(exception.__name__, name, source_info, _is_internal(handler))
        )
    return handlers


def inspect_middleware(app: Any) -> MiddlewareInfo:
    """Collect the App's middleware: the call tree and the components with their methods."""
    request_stack, resource_stack, response_stack = app._middleware
    request = [_tree_item(m) for m, _ in request_stack if m is not None]
    resource = [_tree_item(m) for m in resource_stack]
    if app._independent_middleware:
        response = [_tree_item(m) for m in response_stack]
    else:
        response = [_tree_item(r) for _, r in reversed(request_stack) if r is not None]

    classes = []
    for component in app._unprepared_middleware:
        methods = []
        for name in _HTTP_MIDDLEWARE:
            method = None
            if app._ASGI:
                method = getattr(component, f'{name}_async', None)
            if method is None:
                method = getattr(component, name, None)
            if method is not None:
                source_info, function_name = _source_info_and_name(method)
                methods.append(MiddlewareMethodInfo(function_name, source_info))
        source_info, class_name = _source_info_and_name(type(component))
        classes.append(MiddlewareClassInfo(class_name, source_info, methods))

    return MiddlewareInfo(
        MiddlewareTreeInfo(request, resource, response), classes, app._independent_middleware
    )


inspect_middlewares = inspect_middleware
"""Alias of :func:`inspect_middleware` (the name Falcon's documentation uses)."""

# lanner.routing's CompiledRouter goes through the registry like any other router, without core
# importing the member: registered here when lanner.routing.compiled is already loaded, and by
# lanner.routing.compiled itself when it loads after this module.
_compiled = sys.modules.get('lanner.routing.compiled')
if _compiled is not None:
    register_router(_compiled.CompiledRouter)(inspect_compiled_router)
del _compiled


# ---------------------------------------------------------------------- helpers


def _source_info_and_name(obj: Any) -> tuple[str, str]:
    """``('<file>:<line>', name)`` of a function, method, class or callable instance."""
    while isinstance(obj, functools.partial):
        obj = obj.func  # where the code lives, not functools.py
    target = obj
    name = getattr(obj, '__name__', None)
    if name is None:
        target = type(obj)
        name = target.__name__
    try:
        source_file = _inspect.getsourcefile(target)
        line = _inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return _UNKNOWN_SOURCE, name
    return f'{source_file}:{line}', name


def _is_internal(obj: Any) -> bool:
    """True for responders and handlers the framework installed itself (and its modules)."""
    if isinstance(obj, ModuleType):
        name = obj.__name__
        return name == 'lanner' or name.startswith('lanner.')
    module = getattr(obj, '__module__', None)
    if module is None:
        module = getattr(type(obj), '__module__', '')
    return isinstance(module, str) and (module == 'lanner' or module.startswith('lanner.'))


def _tree_item(method: Any) -> MiddlewareTreeItemInfo:
    owner = getattr(method, '__self__', None)
    if owner is not None:
        class_name = type(owner).__name__
    else:
        qualname = getattr(method, '__qualname__', '')
        class_name = qualname.rpartition('.')[0] or '?'
    return MiddlewareTreeItemInfo(getattr(method, '__name__', repr(method)), class_name)


# ---------------------------------------------------------------------- information classes


class _Traversable:
    __visit_name__: ClassVar[str] = 'N/A'

    def to_string(self, verbose: bool = False, internal: bool = False) -> str:
        """Render as text with :class:`StringVisitor`.

        Args:
            verbose: Add source locations (and the middleware class list).
            internal: Include the framework's default responders and error handlers.
        """
        text: str = StringVisitor(verbose, internal).process(self)
        return text

    def __repr__(self) -> str:
        return self.to_string()


class RouteMethodInfo(_Traversable):
    """One responder of a route.

    Attributes:
        method: The HTTP method, e.g. ``'GET'``.
        source_info: ``'<file>:<line>'`` of the responder.
        function_name: The responder's name, e.g. ``'on_get'``.
        internal: True for responders the framework added (405, OPTIONS...).
        suffix: The responder's suffix (``'items'`` for ``on_get_items``), or ``''``.
    """

    __visit_name__ = 'route_method'

    def __init__(self, method: str, source_info: str, function_name: str, internal: bool) -> None:
        self.method = method
        self.source_info = source_info
        self.function_name = function_name
        self.internal = internal
        parts = function_name.split('_') if function_name.startswith('on_') else []
        self.suffix = '_'.join(parts[2:])


class RouteInfo(_Traversable):
    """A route: its template, resource class and responders."""

    __visit_name__ = 'route'

    def __init__(
        self, path: str, class_name: str, source_info: str, methods: list[RouteMethodInfo]
    ) -> None:
        self.path = path
        self.class_name = class_name
        self.source_info = source_info
        self.methods = methods


class StaticRouteInfo(_Traversable):
    """A static route: URL prefix, directory and optional fallback file."""

    __visit_name__ = 'static_route'

    def __init__(self, prefix: str, directory: str, fallback_filename: str | None) -> None:
        self.prefix = prefix
        self.directory = directory
        self.fallback_filename = fallback_filename


class SinkInfo(_Traversable):
    """A sink: its path prefix (regex) and the callable's name."""

    __visit_name__ = 'sink'

    def __init__(self, prefix: str, name: str, source_info: str) -> None:
        self.prefix = prefix
        self.name = name
        self.source_info = source_info


class ErrorHandlerInfo(_Traversable):
    """An error handler: the exception class name and the handler's name."""

    __visit_name__ = 'error_handler'

    def __init__(self, error: str, name: str, source_info: str, internal: bool) -> None:
        self.error = error
        self.name = name
        self.source_info = source_info
        self.internal = internal


class MiddlewareMethodInfo(_Traversable):
    """One method of a middleware class."""

    __visit_name__ = 'middleware_method'

    def __init__(self, function_name: str, source_info: str) -> None:
        self.function_name = function_name
        self.source_info = source_info


class MiddlewareClassInfo(_Traversable):
    """A middleware component's class and the middleware methods it implements."""

    __visit_name__ = 'middleware_class'

    def __init__(self, name: str, source_info: str, methods: list[MiddlewareMethodInfo]) -> None:
        self.name = name
        self.source_info = source_info
        self.methods = methods


class MiddlewareTreeItemInfo(_Traversable):
    """One call in the middleware tree (``ClassName.process_request``)."""

    __visit_name__ = 'middleware_tree_item'

    _symbols: ClassVar[dict[str, str]] = {
        'process_request': '→',
        'process_resource': '↣',
        'process_response': '↢',
    }

    def __init__(self, name: str, class_name: str) -> None:
        self.name = name
        self.class_name = class_name

    @property
    def symbol(self) -> str:
        """The arrow drawn in front of the item."""
        base = self.name[: -len('_async')] if self.name.endswith('_async') else self.name
        return self._symbols.get(base, '→')


class MiddlewareTreeInfo(_Traversable):
    """The order in which middleware methods run around the responder."""

    __visit_name__ = 'middleware_tree'

    def __init__(
        self,
        request: list[MiddlewareTreeItemInfo],
        resource: list[MiddlewareTreeItemInfo],
        response: list[MiddlewareTreeItemInfo],
    ) -> None:
        self.request = request
        self.resource = resource
        self.response = response


class MiddlewareInfo(_Traversable):
    """The App's middleware: call tree, components and whether they are independent."""

    __visit_name__ = 'middleware'

    def __init__(
        self,
        middleware_tree: MiddlewareTreeInfo,
        middleware_classes: list[MiddlewareClassInfo],
        independent: bool,
    ) -> None:
        self.middleware_tree = middleware_tree
        self.middleware_classes = middleware_classes
        self.independent = independent
        self.independent_text = (
            'Middleware are independent' if independent else 'Middleware are dependent'
        )


class AppInfo(_Traversable):
    """Everything :func:`inspect_app` found."""

    __visit_name__ = 'app'

    def __init__(
        self,
        routes: list[RouteInfo],
        middleware: MiddlewareInfo,
        static_routes: list[StaticRouteInfo],
        sinks: list[SinkInfo],
        error_handlers: list[ErrorHandlerInfo],
        asgi: bool,
    ) -> None:
        self.routes = routes
        self.middleware = middleware
        self.static_routes = static_routes
        self.sinks = sinks
        self.error_handlers = error_handlers
        self.asgi = asgi

    def to_string(self, verbose: bool = False, internal: bool = False, name: str = '') -> str:
        """Render as text (see :class:`StringVisitor`).

        Args:
            verbose: Add source locations and the middleware class list.
            internal: Include the framework's default responders and error handlers.
            name: Title to print instead of ``Falcon App``.
        """
        text: str = StringVisitor(verbose, internal, name).process(self)
        return text


# ---------------------------------------------------------------------- visitors


class InspectVisitor:
    """Base visitor: :meth:`process` calls ``visit_<kind>`` for the information object."""

    def process(self, instance: _Traversable) -> Any:
        """Visit ``instance``.

        Raises:
            RuntimeError: This visitor has no ``visit_<kind>`` method for the instance.
        """
        kind = getattr(instance, '__visit_name__', None)
        visit = getattr(self, f'visit_{kind}', None) if isinstance(kind, str) else None
        if visit is None:
            raise RuntimeError(
                f'This visitor does not support {type(instance).__name__} '
                f'(it is no information object, or there is no visit_{kind} method).'
            )
        return visit(instance)


class StringVisitor(InspectVisitor):
    """Render information objects as the text ``lanner-inspect-app`` prints.

    Args:
        verbose: Add source locations and the middleware class list.
        internal: Include the framework's default responders and error handlers.
        name: Title of an :class:`AppInfo` (default ``Falcon App``, as Falcon prints it).
    """

    def __init__(self, verbose: bool = False, internal: bool = False, name: str = '') -> None:
        self.verbose = verbose
        self.internal = internal
        self.name = name
        self.indent = 0

    @property
    def tab(self) -> str:
        """The current indentation."""
        return ' ' * self.indent

    def _source(self, info: Any) -> str:
        return f' ({info.source_info})' if self.verbose else ''

    def visit_route_method(self, route_method: RouteMethodInfo) -> str:
        return f'{route_method.method} - {route_method.function_name}{self._source(route_method)}'

    def _methods_to_string(self, methods: Iterable[_Traversable]) -> str:
        texts = [self.process(method) for method in methods]
        if not texts:
            return ''
        tab = self.tab + ' ' * 3
        lines = [f'{tab}├── {text}' for text in texts[:-1]]
        lines.append(f'{tab}└── {texts[-1]}')
        return '\n'.join(lines)

    def visit_route(self, route: RouteInfo) -> str:
        text = f'{self.tab}⇒ {route.path} - {route.class_name}{self._source(route)}'
        methods = [m for m in route.methods if self.internal or not m.internal]
        method_text = self._methods_to_string(methods)
        return f'{text}:\n{method_text}' if method_text else text

    def visit_static_route(self, static_route: StaticRouteInfo) -> str:
        text = f'{self.tab}↦ {static_route.prefix} {static_route.directory}'
        if static_route.fallback_filename:
            text += f' [{static_route.fallback_filename}]'
        return text

    def visit_sink(self, sink: SinkInfo) -> str:
        return f'{self.tab}⇥ {sink.prefix} {sink.name}{self._source(sink)}'

    def visit_error_handler(self, error_handler: ErrorHandlerInfo) -> str:
        return (
            f'{self.tab}⇜ {error_handler.error} {error_handler.name}{self._source(error_handler)}'
        )

    def visit_middleware_method(self, middleware_method: MiddlewareMethodInfo) -> str:
        return f'{middleware_method.function_name}{self._source(middleware_method)}'

    def visit_middleware_class(self, middleware_class: MiddlewareClassInfo) -> str:
        text = f'{self.tab}↣ {middleware_class.name}{self._source(middleware_class)}'
        method_text = self._methods_to_string(middleware_class.methods)
        return f'{text}:\n{method_text}' if method_text else text

    def visit_middleware_tree_item(self, item: MiddlewareTreeItemInfo) -> str:
        return f'{self.tab}{item.symbol} {item.class_name}.{item.name}'

    def visit_middleware_tree(self, tree: MiddlewareTreeInfo) -> str:
        # Each call is indented 2 more than the previous one on the way in and 2 less on the
        # way out, so the responder sits at the deepest point.
        step = 2
        initial = self.indent
        way_in = len(tree.request) + len(tree.resource)
        way_out = len(tree.response)
        if way_out > way_in:
            self.indent += step * (way_out - way_in)
        lines: list[str] = []
        for item in tree.request:
            lines.append(self.process(item))
            self.indent += step
        if lines:
            lines.append('')
        for item in tree.resource:
            lines.append(self.process(item))
            self.indent += step
        if tree.resource or not lines:
            lines.append('')
        self.indent += step
        lines.append(f'{self.tab}├── Process route responder')
        self.indent -= step
        if tree.response:
            lines.append('')
        for item in tree.response:
            self.indent -= step
            lines.append(self.process(item))
        self.indent = initial
        return '\n'.join(lines)

    def visit_middleware(self, middleware: MiddlewareInfo) -> str:
        text: str = self.process(middleware.middleware_tree)
        if self.verbose:
            self.indent += 4
            classes = '\n'.join(self.process(c) for c in middleware.middleware_classes)
            self.indent -= 4
            if classes:
                text += f'\n{self.tab}- Middleware classes:\n{classes}'
        return text

    def visit_app(self, app: AppInfo) -> str:
        saved = self.indent
        self.indent = 4
        try:
            text = f'{self.name or "Falcon App"} ({"ASGI" if app.asgi else "WSGI"})'
            if app.routes:
                routes = '\n'.join(self.process(route) for route in app.routes)
                text += f'\n• Routes:\n{routes}'
            if app.middleware.middleware_classes:
                middleware = self.process(app.middleware)
                text += f'\n• Middleware ({app.middleware.independent_text}):\n{middleware}'
            if app.static_routes:
                statics = '\n'.join(self.process(s) for s in app.static_routes)
                text += f'\n• Static routes:\n{statics}'
            if app.sinks:
                sinks = '\n'.join(self.process(s) for s in app.sinks)
                text += f'\n• Sinks:\n{sinks}'
            errors = [e for e in app.error_handlers if self.internal or not e.internal]
            if errors:
                handlers = '\n'.join(self.process(e) for e in errors)
                text += f'\n• Error handlers:\n{handlers}'
            return text
        finally:
            self.indent = saved


class DictVisitor(InspectVisitor):
    """Turn information objects into JSON-ready dicts and lists (lanner addition).

    Args:
        internal: Include the framework's default responders and error handlers.
    """

    def __init__(self, internal: bool = False) -> None:
        self.internal = internal

    def visit_route_method(self, m: RouteMethodInfo) -> dict[str, Any]:
        return {
            'method': m.method,
            'function_name': m.function_name,
            'suffix': m.suffix,
            'source_info': m.source_info,
            'internal': m.internal,
        }

    def visit_route(self, route: RouteInfo) -> dict[str, Any]:
        return {
            'path': route.path,
            'class_name': route.class_name,
            'source_info': route.source_info,
            'methods': [self.process(m) for m in route.methods if self.internal or not m.internal],
        }

    def visit_static_route(self, s: StaticRouteInfo) -> dict[str, Any]:
        return {
            'prefix': s.prefix,
            'directory': s.directory,
            'fallback_filename': s.fallback_filename,
        }

    def visit_sink(self, sink: SinkInfo) -> dict[str, Any]:
        return {'prefix': sink.prefix, 'name': sink.name, 'source_info': sink.source_info}

    def visit_error_handler(self, e: ErrorHandlerInfo) -> dict[str, Any]:
        return {
            'error': e.error,
            'name': e.name,
            'source_info': e.source_info,
            'internal': e.internal,
        }

    def visit_middleware_method(self, m: MiddlewareMethodInfo) -> dict[str, Any]:
        return {'function_name': m.function_name, 'source_info': m.source_info}

    def visit_middleware_class(self, c: MiddlewareClassInfo) -> dict[str, Any]:
        return {
            'name': c.name,
            'source_info': c.source_info,
            'methods': [self.process(m) for m in c.methods],
        }

    def visit_middleware_tree_item(self, item: MiddlewareTreeItemInfo) -> dict[str, Any]:
        return {'name': item.name, 'class_name': item.class_name}

    def visit_middleware_tree(self, tree: MiddlewareTreeInfo) -> dict[str, Any]:
        return {
            'request': [self.process(i) for i in tree.request],
            'resource': [self.process(i) for i in tree.resource],
            'response': [self.process(i) for i in tree.response],
        }

    def visit_middleware(self, middleware: MiddlewareInfo) -> dict[str, Any]:
        return {
            'independent': middleware.independent,
            'tree': self.process(middleware.middleware_tree),
            'classes': [self.process(c) for c in middleware.middleware_classes],
        }

    def visit_app(self, app: AppInfo) -> dict[str, Any]:
        return {
            'asgi': app.asgi,
            'routes': [self.process(r) for r in app.routes],
            'middleware': self.process(app.middleware),
            'static_routes': [self.process(s) for s in app.static_routes],
            'sinks': [self.process(s) for s in app.sinks],
            'error_handlers': [
                self.process(e) for e in app.error_handlers if self.internal or not e.internal
            ],
        }
