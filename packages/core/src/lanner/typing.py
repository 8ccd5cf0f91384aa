"""Public typing aliases and the seams between lanner-core and its members.

The seams are small structural :class:`~typing.Protocol` classes. They are resolved once, when an
App is built (or, for optional members, on first use), never per request and never at
``import lanner``. A third-party router, for instance, needs nothing but lanner-core to satisfy
:class:`Router`.
"""

from __future__ import annotations

from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    MutableMapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from lanner.http_error import HTTPError
    from lanner.request import Request
    from lanner.response import Response

Headers = dict[str, str]
"""Response headers as a plain ``{name: value}`` mapping."""

HeaderArg = Mapping[str, str] | Iterable[tuple[str, str]]

Responder = Callable[..., Any]
"""A resource method such as ``on_get(req, resp, **params)`` (a coroutine function on ASGI)."""

MethodMap = dict[str, Responder]
"""HTTP method -> responder, as routers return it from :meth:`Router.find`."""

RouteMatch = tuple[object, MethodMap, dict[str, Any], str | None]
"""``(resource, method_map, params, uri_template)`` as returned by :meth:`Router.find`."""

ErrorHandler = Callable[..., Any]
"""``handler(req, resp, ex, params)`` (``async`` and optionally ``ws=`` on ASGI)."""

ErrorSerializer = Callable[['Request', 'Response', 'HTTPError'], None]

Scope = MutableMapping[str, Any]
ASGIMessage = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[ASGIMessage]]
ASGISend = Callable[[ASGIMessage], Awaitable[None]]

StartResponse = Callable[..., Any]
WSGIEnviron = dict[str, Any]


class ReadableIO(Protocol):
    """A synchronous byte stream with ``read``."""

    def read(self, n: int | None = ..., /) -> bytes: ...


class AsyncReadableIO(Protocol):
    """An asynchronous byte stream with ``read`` that can also be iterated."""

    async def read(self, n: int | None = ..., /) -> bytes: ...

    def __aiter__(self) -> AsyncIterator[bytes]: ...


@runtime_checkable
class Router(Protocol):
    """What an App needs from a router (``App(router=...)``).

    ``find`` returns ``None`` when nothing matches; otherwise the matched resource, its method map
    (every known HTTP method mapped to a responder, including the 405 and OPTIONS defaults; see
    :func:`lanner.router_support.map_http_methods` and
    :func:`lanner.router_support.set_default_responders`), the converted path parameters and the
    URI template that matched. ``add_route`` must accept arbitrary keyword arguments: the ASGI App
    passes ``_asgi=True``.
    """

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None: ...

    def find(self, uri: str, req: Any = None) -> RouteMatch | None: ...


class RouteNode(Protocol):
    """One node of a router's route tree, as :class:`RouteTree` exposes it."""

    @property
    def children(self) -> Sequence[RouteNode]: ...

    @property
    def resource(self) -> object | None: ...

    @property
    def method_map(self) -> MethodMap | None:
        """The responders of the route that ends at this node; None where no route ends."""

    @property
    def uri_template(self) -> str | None: ...


class RouteTree(Protocol):
    """A router that shows its routes as a tree (``lanner.routing.CompiledRouter`` does).

    :func:`lanner.inspect.inspect_compiled_router` reads nothing else of a router; register it for
    your router class with :func:`lanner.inspect.register_router` if your router has ``roots``.
    """

    @property
    def roots(self) -> Sequence[RouteNode]: ...


class SerializableEvent(Protocol):
    """Anything a Server-Sent Events emitter may yield (``lanner.sse.SSEvent`` among others)."""

    def serialize(self, handler: Any = None) -> bytes: ...


SSEEmitter = AsyncIterator[SerializableEvent | None]


class WebSocketLike(Protocol):
    """The little core needs from the connection object lanner-websocket provides."""

    @property
    def closed(self) -> bool: ...

    async def close(self, code: int | None = None, reason: str | None = None) -> None: ...


class ChannelSubscription(Protocol):
    """One subscriber's view of a pub/sub channel: an async iterator of ``(event_id, data)``.

    Iteration ends when the subscriber should stop listening. :attr:`gap` then says why: True
    when events may have been missed (the shared backend's connection dropped, or the
    subscriber fell too far behind), so the consumer must resynchronise (an SSE stream ends so
    the client reconnects with ``Last-Event-ID``); False when the channels were shut down.
    """

    @property
    def gap(self) -> bool: ...

    def __aiter__(self) -> ChannelSubscription: ...

    async def __anext__(self) -> tuple[str, bytes]: ...

    async def aclose(self) -> None: ...


class PubSubChannels(Protocol):
    """The seam between lanner-websocket / lanner-sse and a pub/sub provider such as
    ``lanner.channels.Channels``: members accept any object of this shape and never import the
    provider.

    Event ids are strings that the provider orders (``'<ms>-<seq>'`` for lanner-channels);
    ``subscribe(channel, last_id=...)`` first replays the retained events published after
    ``last_id`` and then goes on with live ones, each exactly once and in order.
    """

    async def publish(self, channel: str, data: bytes) -> str: ...

    def subscribe(self, channel: str, *, last_id: str | None = None) -> ChannelSubscription: ...

    async def history(
        self, channel: str, after_id: str | None = None
    ) -> list[tuple[str, bytes]]: ...


__all__ = (
    'ASGIMessage',
    'ASGIReceive',
    'ASGISend',
    'AsyncReadableIO',
    'ChannelSubscription',
    'ErrorHandler',
    'ErrorSerializer',
    'HeaderArg',
    'Headers',
    'MethodMap',
    'PubSubChannels',
    'ReadableIO',
    'Responder',
    'RouteMatch',
    'RouteNode',
    'RouteTree',
    'Router',
    'SSEEmitter',
    'Scope',
    'SerializableEvent',
    'StartResponse',
    'WSGIEnviron',
    'WebSocketLike',
)
