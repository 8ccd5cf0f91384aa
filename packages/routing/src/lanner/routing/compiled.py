"""The default router: URI templates compiled into a specialised finder function.

Invariants and goals:

* Everything that can go wrong with a route (bad template, unknown converter, bad converter
  arguments, conflicting field names, wrong responder kind, unknown suffix) raises when the route
  is added. ``find()`` never raises for any request path (converters signal a mismatch by
  returning None; the built-in ones never raise).
* Matching precedence at every segment: literal text, then complex segments (in the order they
  were added), then the single variable segment; a candidate whose converter rejects the value,
  or whose subtree does not match the rest of the path, falls through to the next candidate.
* ``find()`` costs O(path depth) and stays flat as routes are added: fully literal routes are
  one dict lookup, literal siblings are dispatched through dicts (see ``_compiler``).
* Compilation is lazy (first ``find()``), guarded by a lock, and repeated after every
  ``add_route`` (or eagerly with ``add_route(..., compile=True)`` / ``compile()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import re
import sys
import threading
from types import FunctionType
from typing import TYPE_CHECKING, Any

from lanner.router_support import (
    map_http_methods,
    set_default_responders,
    validate_responders,
)
from lanner.routing import _tree
from lanner.routing._compiler import compile_finder
from lanner.routing._reverse import UnknownRouteError, URLBuildError, build
from lanner.routing._template import LITERAL, Segment, UnacceptableRouteError, parse_template
from lanner.routing._tree import CompiledRouterNode
from lanner.routing.converters import BUILTIN

__all__ = (
    'CompiledRouter',
    'CompiledRouterNode',
    'CompiledRouterOptions',
    'ConverterDict',
    'URLBuildError',
    'UnacceptableRouteError',
    'UnknownRouteError',
)

RouteMatch = tuple[object, dict[str, Callable[..., Any]], dict[str, Any], str]

_CONVERTER_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')

# Falcon's name, group numbering (1: the whole field, 2: fname) and named groups for one
# ``{field:converter(args)}`` in a template. The router parses templates itself (_template); this
# exists for add-ons that import it from falcon.routing.compiled to read templates (spectree,
# docs/ecosystem.md).
_FIELD_PATTERN = re.compile(
    r'\{((?P<fname>[^}:(]*)(?::(?P<cname>[^}(]*)(?:\((?P<argstr>[^}]*)\))?)?)\}'
)

# Until the routes are compiled, router.find runs this stand-in, which compiles them first.
_TRAMPOLINE = compile(
    'def find(uri, req=None):\n    return _compile_and_find(uri)\n',
    '<lanner.routing finder>',
    'exec',
)


class ConverterDict(dict[str, Any]):
    """Converter name -> converter class; names are checked as they are added."""

    def __setitem__(self, name: str, converter: Any) -> None:
        self._validate(name, converter)
        super().__setitem__(name, converter)

    def update(self, *args: Any, **kwargs: Any) -> None:
        items = dict(*args, **kwargs)
        for name, converter in items.items():
            self._validate(name, converter)
        super().update(items)

    def setdefault(self, name: str, converter: Any = None) -> Any:
        if name not in self:
            self[name] = converter
        return self[name]

    @staticmethod
    def _validate(name: object, converter: object) -> None:
        if not isinstance(name, str) or not _CONVERTER_NAME.match(name):
            raise ValueError(
                f'Invalid converter name {name!r}: names must look like Python identifiers '
                '(letters, digits and underscores, not starting with a digit), e.g. "mytype".'
            )
        if not callable(converter):
            raise TypeError(
                f'The converter registered as {name!r} must be a class (or factory) whose '
                f'instances have a convert() method, not {converter!r}.'
            )


class CompiledRouterOptions:
    """Options of :class:`CompiledRouter`, exposed as ``app.router_options``.

    Attributes:
        converters: Name -> converter class, used by ``{field:name(args)}``. Update it in place
            (``options.converters['mine'] = MyConverter``) before adding the routes that use the
            converter; the attribute itself cannot be reassigned.
        default_to_on_request: When true (set it before adding routes), a resource's
            ``on_request`` (``on_request_<suffix>`` for suffixed routes) answers every method it
            has no responder for, except OPTIONS (default OPTIONS responder or ``on_options``)
            and WEBSOCKET (405).
    """

    __slots__ = ('_converters', 'default_to_on_request')

    def __init__(self) -> None:
        self._converters = ConverterDict(BUILTIN)
        self.default_to_on_request = False

    @property
    def converters(self) -> ConverterDict:
        return self._converters

    @converters.setter
    def converters(self, value: Any) -> None:
        raise AttributeError(
            'Cannot set "converters": update it in place instead, e.g. '
            'options.converters["mine"] = MyConverter.'
        )


class _Route:
    """What reverse routing needs to know about one added template."""

    __slots__ = ('field_names', 'name', 'resource', 'segments', 'template')

    def __init__(
        self, template: str, segments: tuple[Segment, ...], resource: object, name: str | None
    ) -> None:
        self.template = template
        self.segments = segments
        self.resource = resource
        self.name = name
        self.field_names = frozenset(f.name for s in segments for f in s.fields)


class CompiledRouter:
    """The default router (also available as ``DefaultRouter``).

    Templates are validated when added and compiled into Python source on the first
    :meth:`find` (see :attr:`finder_src`).
    """

    def __init__(self) -> None:
        self._options = CompiledRouterOptions()
        self._roots: list[CompiledRouterNode] = []
        self._routes: dict[str, _Route] = {}
        self._names: dict[str, str] = {}
        self._lock = threading.RLock()
        # The current finder; ``_compile_and_find`` until the routes are compiled.
        self._find: Callable[..., RouteMatch | None] = self._compile_and_find
        self._finder_src: str | None = None
        # Globals of the generated code, shared by every compilation (names carry a tag).
        self._namespace: dict[str, Any] = {'_compile_and_find': self._compile_and_find}
        self._generation = 0
        self._generation_names: list[list[str]] = []
        self._entry: FunctionType | None = None
        if type(self).find is CompiledRouter.find:
            # PERF: ``router.find`` becomes a plain function whose code is swapped for the
            # generated finder on every compilation, so callers that bound ``router.find`` once
            # (the App does) reach the generated code directly, without a method call between.
            # Subclasses that override find() keep the ordinary method.
            exec(_TRAMPOLINE, self._namespace)
            self._entry = self._namespace.pop('find')
            self._trampoline_code = self._entry.__code__
            self.find = self._entry  # type: ignore[method-assign]

    # ------------------------------------------------------------------ configuration

    @property
    def options(self) -> CompiledRouterOptions:
        """This router's :class:`CompiledRouterOptions`."""
        return self._options

    @property
    def finder_src(self) -> str:
        """The generated source of the finder (compiles the routes if needed)."""
        with self._lock:
            if self._finder_src is None:
                # Through find(), like any first request, so an overridden find() sees it.
                type(self).find(self, '/')
            if self._finder_src is None:
                self.compile()
            assert self._finder_src is not None
            return self._finder_src

    @property
    def roots(self) -> list[CompiledRouterNode]:
        """Top-level nodes of the routing tree (for introspection; do not modify)."""
        return self._roots

    # ------------------------------------------------------------------ registration

    def map_http_methods(self, resource: object, **kwargs: Any) -> dict[str, Callable[..., Any]]:
        """Map HTTP methods to the responders ``resource`` defines (overridable hook).

        Keyword Args:
            suffix: Map ``on_<method>_<suffix>`` responders instead of ``on_<method>``.
        """
        return map_http_methods(
            resource,
            suffix=kwargs.get('suffix'),
            default_to_on_request=self._options.default_to_on_request,
        )

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
        """Route paths matching ``uri_template`` to ``resource``.

        Args:
            uri_template: A template such as ``'/users/{user_id:int}/posts/{slug}'``.
            resource: The object whose ``on_<method>`` responders handle the requests.

        Keyword Args:
            suffix: Use ``on_<method>_<suffix>`` responders.
            compile: Compile the finder now instead of on the next :meth:`find`.
            name: A name for reverse routing with :meth:`url_for`.
            _asgi: Set by ``lanner.asgi.App``: responders must be coroutine functions.

        Unknown keyword arguments are ignored, so subclasses can pass their own through.

        Raises:
            TypeError: ``uri_template`` is not a string, or a responder is of the wrong kind
                (synchronous on ASGI, a coroutine function on WSGI).
            UnacceptableRouteError: The template is malformed, uses an unknown converter or bad
                converter arguments, conflicts with an existing template, or ``name`` is taken.
            SuffixedMethodNotFoundError: No responder has the given ``suffix``.
        """
        segments = parse_template(uri_template, self._options.converters)
        asgi = bool(kwargs.get('_asgi', False))
        suffix = kwargs.get('suffix')
        name = kwargs.get('name')
        if name is not None and (not isinstance(name, str) or not name or name.startswith('/')):
            raise UnacceptableRouteError(
                f'Invalid route name {name!r} for {uri_template!r}: use a non-empty string that '
                'does not start with "/" (templates themselves can be passed to url_for).'
            )

        method_map = self.map_http_methods(resource, **kwargs)
        default_responder = None
        if self._options.default_to_on_request:
            candidate = getattr(resource, f'on_request_{suffix}' if suffix else 'on_request', None)
            if callable(candidate):
                default_responder = candidate
        set_default_responders(method_map, asgi=asgi, default_responder=default_responder)
        validate_responders(method_map, asgi=asgi, uri_template=uri_template)

        with self._lock:
            if name is not None:
                owner = self._names.get(name)
                if owner is not None and owner != uri_template:
                    raise UnacceptableRouteError(
                        f'The route name {name!r} is already used by {owner!r}; names must be '
                        f'unique, so choose another one for {uri_template!r}.'
                    )
            replaced = _tree.insert(self._roots, uri_template, segments, resource, method_map, name)
            if replaced is not None and replaced.name is not None:
                self._names.pop(replaced.name, None)
            if name is not None:
                self._names[name] = uri_template
            self._routes[uri_template] = _Route(uri_template, segments, resource, name)
            self._invalidate()

        if kwargs.get('compile', False):
            self.compile()

    def _invalidate(self) -> None:
        self._find = self._compile_and_find
        self._finder_src = None
        if self._entry is not None:
            self._entry.__code__ = self._trampoline_code

    # ------------------------------------------------------------------ matching

    def compile(self) -> None:
        """Generate the finder for the routes added so far (otherwise done on first use)."""
        with self._lock:
            finder = self._compile()
            self._find = finder
            if self._entry is not None and getattr(finder, '__globals__', None) is self._namespace:
                self._entry.__code__ = finder.__code__

    def _compile(self) -> Callable[..., RouteMatch | None]:
        """Generate the finder's source, execute it and return the finder (lock held)."""
        with self._lock:
            literal_routes: dict[str, tuple[object, dict[str, Any], str]] = {}
            for node in _tree.walk(self._roots):
                template, method_map = node.uri_template, node.method_map
                if template is None or method_map is None:
                    continue
                if all(s.kind == LITERAL for s in self._routes[template].segments):
                    # Keyed by the request path it equals ('/' added to a template without it).
                    path = template if template.startswith('/') else '/' + template
                    literal_routes[path] = (node.resource, method_map, template)
            self._generation += 1
            finder, source, names = compile_finder(
                self._roots, literal_routes, self._namespace, f'_{self._generation}'
            )
            self._finder_src = source
            # Keep the previous compilation's globals (a request may still be running it) and
            # drop older ones, so adding routes while serving neither breaks nor leaks.
            self._generation_names.append(names)
            while len(self._generation_names) > 2:
                for name in self._generation_names.pop(0):
                    self._namespace.pop(name, None)
            return finder

    def _compile_and_find(self, uri: str, req: Any = None) -> RouteMatch | None:
        with self._lock:
            if self._find == self._compile_and_find:
                self.compile()
            finder = self._find
        return finder(uri)

    def find(self, uri: str, req: Any = None) -> RouteMatch | None:
        """Match ``uri`` (a request path) against the routes.

        Args:
            uri: The percent-decoded request path, e.g. ``req.path``.
            req: Ignored by this router (part of the router protocol).

        Returns:
            ``(resource, method_map, params, uri_template)``, or ``None`` when nothing matches.
        """
        # Only reached by subclasses that override find(); see __init__.
        return self._find(uri)

    # ------------------------------------------------------------------ reverse routing

    def url_for(self, resource_or_name: object, /, **params: Any) -> str:
        """Build the path of a route from its fields (reverse routing).

        Args:
            resource_or_name: The route's ``name=``, its URI template, or its resource. A
                resource added under several templates is resolved by the field names given;
                if that is still ambiguous, name the routes.
            **params: A value for every field of the template. Values go through the field's
                converter in reverse (``to_str``) and are percent-encoded.

        Returns:
            The path, e.g. ``'/users/42/posts/hello%20world'``.

        Raises:
            UnknownRouteError: No route has that name, template or resource.
            URLBuildError: A value is missing, unexpected, or cannot be represented such that
                the path routes back to the same template.
        """
        route = self._lookup(resource_or_name, params)
        path, decoded, expected = build(route.template, route.segments, params)
        match = self.find(decoded)
        if match is None or match[3] != route.template:
            where = 'matches no route' if match is None else f'is routed to {match[3]!r}'
            raise URLBuildError(
                f'The path {path!r} built for {route.template!r} {where} (literal segments '
                'take precedence over fields), so it would not reach the intended resource.'
            )
        if match[2] != expected:
            raise URLBuildError(
                f'The path {path!r} built for {route.template!r} would be matched with the '
                f'fields {match[2]!r} instead of {expected!r} (for example, leading empty '
                'segments are ignored when routing).'
            )
        return path

    def _lookup(self, target: object, params: Mapping[str, Any]) -> _Route:
        with self._lock:
            routes = list(self._routes.values())
            names = dict(self._names)
        if isinstance(target, str):
            template = names.get(target, target)
            for route in routes:
                if route.template == template:
                    return route
            known = ', '.join(repr(n) for n in sorted(names)) or '(none)'
            raise UnknownRouteError(
                f'No route is named {target!r} and no template equals it. Known names: {known}. '
                'Pass name="..." to add_route() to name a route.'
            )
        candidates = [r for r in routes if r.resource is target]
        if not candidates:
            raise UnknownRouteError(
                f'The resource {target!r} was not added to this router; pass a resource given to '
                'add_route(), a route name or a template.'
            )
        if len(candidates) > 1:
            wanted = frozenset(params)
            narrowed = [r for r in candidates if r.field_names == wanted]
            if len(narrowed) != 1:
                templates = ', '.join(repr(r.template) for r in candidates)
                raise UnknownRouteError(
                    f'The resource {target!r} is routed from several templates ({templates}) '
                    'and the given fields do not single one out. Name the routes with '
                    'add_route(..., name="...") and call url_for with the name.'
                )
            return narrowed[0]
        return candidates[0]


if TYPE_CHECKING:
    from lanner.typing import Router, RouteTree

    def _satisfies_the_seams(router: CompiledRouter) -> tuple[Router, RouteTree]:
        """mypy checks here that CompiledRouter is what App and lanner.inspect read it as."""
        return router, router


# Register with lanner.inspect if it is already loaded (otherwise it registers this router
# itself when imported), so inspect_routes() finds CompiledRouter in its registry.
_inspect = sys.modules.get('lanner.inspect')
if _inspect is not None:
    try:
        _inspect.register_router(CompiledRouter)(_inspect.inspect_compiled_router)
    except ValueError:
        pass  # an inspector of the application's own is registered: keep it
del _inspect
