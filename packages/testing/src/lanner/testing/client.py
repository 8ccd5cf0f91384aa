"""Simulated requests against WSGI and ASGI apps: ``simulate_*``, ``TestClient`` and
``ASGIConductor``.

Which to use:

* ``simulate_get(app, '/path')`` and friends, or a ``TestClient(app)``: synchronous, work for
  both WSGI and ASGI apps. For an ASGI app each call is one-shot: lifespan startup, the
  request, lifespan shutdown.
* ``ASGIConductor`` (or ``async with TestClient(asgi_app) as conductor``): from async tests.
  Lifespan runs once around the block, and it adds streamed responses
  (``simulate_get_stream``) and WebSockets (``simulate_ws``).

Every call is bounded in time (``timeout=``, default 30 seconds): an app that hangs fails the
test with a ``TimeoutError`` explaining what it was doing, instead of hanging the test run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Generic, TypeVar

from lanner.errors import CompatibilityError
from lanner.testing import _simulate
from lanner.testing._app_loader import is_asgi_app
from lanner.testing._headers import HeadersArg, merge_headers
from lanner.testing._results import Cookie, Result, ResultBodyStream, StreamedResult
from lanner.testing._runner import run_coroutine
from lanner.testing._ws_simulator import ASGIWebSocketSimulator
from lanner.testing.helpers import DEFAULT_HOST, create_scope_ws

__all__ = (
    'ASGIConductor',
    'Cookie',
    'Result',
    'ResultBodyStream',
    'StreamedResult',
    'TestClient',
    'set_limits',
    'simulate_delete',
    'simulate_get',
    'simulate_head',
    'simulate_options',
    'simulate_patch',
    'simulate_post',
    'simulate_put',
    'simulate_request',
)

_T = TypeVar('_T')


def set_limits(*, timeout: float | None = None, max_body_size: int | None = None) -> None:
    """Change the process-wide limits of simulated requests (a lanner addition).

    Args:
        timeout: Default seconds a simulated request may take (initially 30).
        max_body_size: Largest response body collected, in bytes (initially 128 MiB).
    """
    if timeout is not None:
        _simulate.DEFAULT_TIMEOUT = _simulate.timeout_value(timeout)
    if max_body_size is not None:
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int):
            raise TypeError(f'max_body_size must be an int, not {max_body_size!r}.')
        if max_body_size < 1:
            raise ValueError(f'max_body_size must be positive, not {max_body_size}.')
        _simulate.MAX_BODY_SIZE = max_body_size


# Falcon's name, for code (and Falcon's own tests) written against falcon.testing.client.
_is_asgi_app = is_asgi_app


def simulate_request(
    app: Callable[..., Any],
    method: str = 'GET',
    path: str = '/',
    query_string: str | None = None,
    headers: HeadersArg = None,
    content_type: str | None = None,
    body: str | bytes | None = None,
    json: Any = None,
    file_wrapper: Callable[..., Any] | None = None,
    wsgierrors: Any = None,
    params: Mapping[str, Any] | None = None,
    params_csv: bool = False,
    protocol: str = 'http',
    host: str = DEFAULT_HOST,
    remote_addr: str | None = None,
    extras: Mapping[str, Any] | None = None,
    http_version: str = '1.1',
    port: int | str | None = None,
    root_path: str | None = None,
    cookies: Any = None,
    asgi_chunk_size: int = 4096,
    asgi_disconnect_ttl: float = 300,
    msgpack: Any = None,
    *,
    timeout: float | None = None,
) -> Result:
    """Simulate a request to a WSGI or ASGI app and return the complete response.

    Args:
        app: The WSGI or ASGI callable (an app is ASGI when it takes three arguments).
        method: The HTTP method.
        path: The path, starting with ``/``. It may include ``?query`` when neither
            ``query_string`` nor ``params`` is given. Percent-escapes are decoded as a server
            would.
        query_string: The raw query string without ``?``; takes precedence over ``params``.
        headers: Request headers (a mapping or ``(name, value)`` pairs).
        content_type: Sets ``Content-Type`` (overriding ``headers``).
        body: The body (``str`` is encoded as UTF-8).
        json: An object to send as a JSON body (forces ``Content-Type: application/json``).
        file_wrapper: WSGI only: ``wsgi.file_wrapper``.
        wsgierrors: WSGI only: the ``wsgi.errors`` stream.
        params: Query parameters, encoded with ``lanner.to_query_str``.
        params_csv: Join list values with commas instead of repeating the name.
        protocol: The URL scheme (``'http'`` or ``'https'``).
        host: The host name.
        remote_addr: The client's address.
        extras: Extra WSGI environ or ASGI scope entries (they may not change the method).
        http_version: ``'2'``, ``'2.0'``, ``'1.1'``, ``'1.0'`` or ``'1'``.
        port: The server port (default 80 for http, 443 for https).
        root_path: The app's mount point (``SCRIPT_NAME`` / ``root_path``).
        cookies: Cookies to send (a mapping of names to strings or ``Cookie`` objects).
        asgi_chunk_size: ASGI only: most body bytes per ``http.request`` event.
        asgi_disconnect_ttl: ASGI only: seconds until the client disconnects (0: at once).
        msgpack: An object to send as a MessagePack body (wins over ``json``).
        timeout: Seconds the simulation may take before ``TimeoutError`` (default 30).

    Returns:
        The :class:`Result`.
    """
    args = _simulate.prepare(
        method=method,
        path=path,
        query_string=query_string,
        headers=headers,
        content_type=content_type,
        body=body,
        json=json,
        params=params,
        params_csv=params_csv,
        protocol=protocol,
        host=host,
        remote_addr=remote_addr,
        extras=extras,
        http_version=http_version,
        port=port,
        root_path=root_path,
        cookies=cookies,
        msgpack=msgpack,
    )
    if is_asgi_app(app):

        async def run() -> Any:
            return await _simulate.run_asgi(
                app,
                args,
                asgi_chunk_size=asgi_chunk_size,
                asgi_disconnect_ttl=asgi_disconnect_ttl,
                timeout=timeout,
            )

        result: Result = run_coroutine(run)
        return result
    return _simulate.run_wsgi(app, args, file_wrapper, wsgierrors, timeout)


def simulate_get(app: Callable[..., Any], path: str, **kwargs: Any) -> Result:
    """Simulate a GET request (see :func:`simulate_request` for the keyword arguments)."""
    return simulate_request(app, 'GET', path, **kwargs)


def simulate_head(app: Callable[..., Any], path: str, **kwargs: Any) -> Result:
    """Simulate a HEAD request (see :func:`simulate_request` for the keyword arguments)."""
    return simulate_request(app, 'HEAD', path, **kwargs)


def simulate_post(app: Callable[..., Any], path: str, **kwargs: Any) -> Result:
    """Simulate a POST request (see :func:`simulate_request` for the keyword arguments)."""
    return simulate_request(app, 'POST', path, **kwargs)


def simulate_put(app: Callable[..., Any], path: str, **kwargs: Any) -> Result:
    """Simulate a PUT request (see :func:`simulate_request` for the keyword arguments)."""
    return simulate_request(app, 'PUT', path, **kwargs)


def simulate_options(app: Callable[..., Any], path: str, **kwargs: Any) -> Result:
    """Simulate an OPTIONS request (see :func:`simulate_request` for the keyword arguments)."""
    return simulate_request(app, 'OPTIONS', path, **kwargs)


def simulate_patch(app: Callable[..., Any], path: str, **kwargs: Any) -> Result:
    """Simulate a PATCH request (see :func:`simulate_request` for the keyword arguments)."""
    return simulate_request(app, 'PATCH', path, **kwargs)


def simulate_delete(app: Callable[..., Any], path: str, **kwargs: Any) -> Result:
    """Simulate a DELETE request (see :func:`simulate_request` for the keyword arguments)."""
    return simulate_request(app, 'DELETE', path, **kwargs)


# Position of ``headers`` in simulate_request(method, path, query_string, headers, ...).
_HEADERS_POSITION = 3


def _with_default_headers(
    defaults: HeadersArg, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if not defaults:
        return args, kwargs
    if len(args) > _HEADERS_POSITION:
        merged = merge_headers(defaults, args[_HEADERS_POSITION])
        args = (*args[:_HEADERS_POSITION], merged, *args[_HEADERS_POSITION + 1 :])
    else:
        kwargs = {**kwargs, 'headers': merge_headers(defaults, kwargs.get('headers'))}
    return args, kwargs


class TestClient:
    """A synchronous client bound to one app, with optional default headers.

    ``async with TestClient(asgi_app) as conductor`` gives an :class:`ASGIConductor` for async
    tests (lifespan managed around the block).

    Args:
        app: The WSGI or ASGI app.
        headers: Headers sent with every request; per-call ``headers`` override them name by
            name (case-insensitively).

    Attributes:
        app: The app under test.
    """

    # Not a test class, despite the name.
    __test__ = False

    def __init__(self, app: Callable[..., Any], headers: HeadersArg = None) -> None:
        self.app = app
        self._default_headers = headers
        self._conductor: ASGIConductor | None = None

    async def __aenter__(self) -> ASGIConductor:
        if not is_asgi_app(self.app):
            raise CompatibilityError(
                'a conductor context manager may only be used with an ASGI app; for a WSGI '
                'app call the simulate_*() methods of the TestClient directly.'
            )
        # A new conductor per block: a conductor's lifespan runs once.
        conductor = ASGIConductor(self.app, headers=self._default_headers)
        await conductor.__aenter__()
        self._conductor = conductor
        return conductor

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        conductor, self._conductor = self._conductor, None
        assert conductor is not None
        return await conductor.__aexit__(exc_type, exc, tb)

    def simulate_request(self, *args: Any, **kwargs: Any) -> Result:
        """Like :func:`simulate_request`, for this client's app and default headers."""
        args, kwargs = _with_default_headers(self._default_headers, args, kwargs)
        return simulate_request(self.app, *args, **kwargs)

    def simulate_get(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a GET request."""
        return self.simulate_request('GET', path, **kwargs)

    def simulate_head(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a HEAD request."""
        return self.simulate_request('HEAD', path, **kwargs)

    def simulate_post(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a POST request."""
        return self.simulate_request('POST', path, **kwargs)

    def simulate_put(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a PUT request."""
        return self.simulate_request('PUT', path, **kwargs)

    def simulate_options(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate an OPTIONS request."""
        return self.simulate_request('OPTIONS', path, **kwargs)

    def simulate_patch(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a PATCH request."""
        return self.simulate_request('PATCH', path, **kwargs)

    def simulate_delete(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a DELETE request."""
        return self.simulate_request('DELETE', path, **kwargs)

    delete = simulate_delete
    get = simulate_get
    head = simulate_head
    options = simulate_options
    patch = simulate_patch
    post = simulate_post
    put = simulate_put
    request = simulate_request


class _AsyncContextManager(Generic[_T]):
    """Awaits a coroutine on entry; ``finalize()``s the value (if it can) on exit."""

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._obj: _T | None = None

    async def __aenter__(self) -> _T:
        self._obj = await self._coro
        return self._obj

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        finalize = getattr(self._obj, 'finalize', None)
        self._obj = None
        if finalize is not None:
            await finalize()


class _WSContextManager:
    """Runs the app for one simulated WebSocket; closes and awaits it (bounded) on exit."""

    def __init__(
        self,
        app: Callable[..., Any],
        scope: dict[str, Any],
        timeout: float,
        handshake_timeout: float | None = None,
    ) -> None:
        self._app = app
        self._scope = scope
        self._timeout = timeout
        self._ws = ASGIWebSocketSimulator(timeout=timeout, handshake_timeout=handshake_timeout)
        self._task: asyncio.Task[Any] | None = None
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # created outside the event loop: the app starts on entry
        # As in Falcon, the app starts right away, so a test may also drive the simulator
        # (context._ws) without entering the context.
        self._task = self._start_app()

    def _start_app(self) -> asyncio.Task[Any]:
        ws = self._ws
        return asyncio.ensure_future(self._app(self._scope, ws._emit, ws._collect))

    async def __aenter__(self) -> ASGIWebSocketSimulator:
        ws = self._ws
        task = self._task
        if task is None:
            task = self._task = self._start_app()
        ready = asyncio.ensure_future(ws.wait_ready())
        await asyncio.wait({ready, task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done() and ws._handshake_done.is_set():
            # The app answered the handshake and returned in the same loop iteration.
            await asyncio.wait({ready})
        if ready.done():
            try:
                ready.result()
            except TimeoutError:  # wait_ready raises the builtin, also on Python 3.10
                # The app is stuck before accepting; it will not notice a close.
                await _simulate.cancel(task)
                raise
            except BaseException:
                await self._stop_app()
                raise
            return ws
        # The app returned (or raised) without accepting or closing the connection.
        error = None if task.cancelled() else task.exception()
        if error is not None:
            ready.cancel()
            await asyncio.wait({ready})
            raise error
        # As a real client (and Falcon's), keep waiting for the handshake: TimeoutError when
        # it never comes.
        try:
            await ready
        except TimeoutError as ex:  # wait_ready raises the builtin, also on Python 3.10
            raise TimeoutError(
                'The ASGI app returned from the WebSocket scope without accepting or closing '
                'the connection, and the handshake timed out.'
            ) from ex
        return ws

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._ws.closed:
            await self._ws.close()
        if exc_type is None:
            await self._stop_app()
            return
        try:
            await self._stop_app()
        except Exception:
            # The block's own exception is the one worth reporting; the app was stopped.
            pass

    async def _stop_app(self) -> None:
        task = self._task
        if task is None:
            return
        await asyncio.wait({task}, timeout=self._timeout)
        if not task.done():
            await _simulate.cancel(task)
            raise TimeoutError(
                f'The on_websocket responder did not return within {self._timeout} seconds '
                'after the connection was closed. It seems to wait for something other than '
                'the next message (receive_*() raises WebSocketDisconnected once the client '
                'is gone); pass timeout= to simulate_ws() to allow more time.'
            )
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error


class ASGIConductor:
    """Drives an ASGI app from async tests.

    ``async with ASGIConductor(app) as conductor:`` runs lifespan startup on entry (a
    ``RuntimeError`` reports a failure) and shutdown on exit; if the block raises, shutdown
    is skipped and the exception propagates. Requests are not one-shot: each one sends its
    body and then ``http.disconnect``.

    Args:
        app: The ASGI app (a WSGI app raises ``CompatibilityError``).
        headers: Default headers, as for :class:`TestClient`.
        timeout: Default seconds each simulation may take (lanner addition; default 30).
    """

    def __init__(
        self, app: Callable[..., Any], headers: HeadersArg = None, *, timeout: float | None = None
    ) -> None:
        if not is_asgi_app(app):
            raise CompatibilityError(
                'ASGIConductor may only be used with an ASGI app; for a WSGI app use '
                'TestClient or the simulate_*() functions.'
            )
        self.app = app
        self._default_headers = headers
        self._timeout = timeout
        self._lifespan: _simulate.Lifespan | None = None
        # Falcon's name for the lifespan task, kept after exit (cancelled when the block raised).
        self._lifespan_task: asyncio.Task[Any] | None = None

    def _limit(self, kwargs: dict[str, Any]) -> float | None:
        value: float | None = kwargs.pop('timeout', None)
        return value if value is not None else self._timeout

    async def __aenter__(self) -> ASGIConductor:
        lifespan = _simulate.Lifespan(self.app)
        deadline = _simulate.Deadline(_simulate.timeout_value(self._timeout))
        await lifespan.startup(deadline)
        self._lifespan = lifespan
        self._lifespan_task = lifespan.task
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is None:
            return False
        if exc_type is not None:
            await lifespan.abort()
            return False
        deadline = _simulate.Deadline(_simulate.timeout_value(self._timeout))
        await lifespan.shutdown(deadline)
        return False

    async def simulate_request(self, *args: Any, **kwargs: Any) -> Result:
        """Simulate a request; takes the arguments of :func:`simulate_request` minus ``app``.

        ``file_wrapper`` and ``wsgierrors`` only apply to WSGI apps and are ignored here.
        """
        result = await self._request(args, kwargs, stream=False)
        assert isinstance(result, Result)
        return result

    async def _request(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], stream: bool
    ) -> Result | StreamedResult:
        args, kwargs = _with_default_headers(self._default_headers, args, kwargs)
        timeout = self._limit(kwargs)
        asgi_options = {
            name: kwargs.pop(name)
            for name in ('asgi_chunk_size', 'asgi_disconnect_ttl')
            if name in kwargs
        }
        kwargs.pop('file_wrapper', None)
        kwargs.pop('wsgierrors', None)
        sim_args = _simulate.prepare(*args, **kwargs)
        return await _simulate.run_asgi(
            self.app, sim_args, timeout=timeout, one_shot=False, stream=stream, **asgi_options
        )

    async def simulate_get(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a GET request."""
        return await self.simulate_request('GET', path, **kwargs)

    def simulate_get_stream(
        self, path: str = '/', **kwargs: Any
    ) -> _AsyncContextManager[StreamedResult]:
        """Simulate a GET request whose body is read while the app streams it.

        Use as ``async with conductor.simulate_get_stream('/events') as sr:`` and read with
        ``await sr.stream.read()``. On exit the client disconnects and the app is awaited
        (an app that keeps streaming after the disconnect is cancelled).
        """

        async def start() -> StreamedResult:
            result = await self._request(('GET', path), kwargs, stream=True)
            assert isinstance(result, StreamedResult)
            return result

        return _AsyncContextManager(start())

    async def simulate_head(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a HEAD request."""
        return await self.simulate_request('HEAD', path, **kwargs)

    async def simulate_post(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a POST request."""
        return await self.simulate_request('POST', path, **kwargs)

    async def simulate_put(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a PUT request."""
        return await self.simulate_request('PUT', path, **kwargs)

    async def simulate_options(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate an OPTIONS request."""
        return await self.simulate_request('OPTIONS', path, **kwargs)

    async def simulate_patch(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a PATCH request."""
        return await self.simulate_request('PATCH', path, **kwargs)

    async def simulate_delete(self, path: str = '/', **kwargs: Any) -> Result:
        """Simulate a DELETE request."""
        return await self.simulate_request('DELETE', path, **kwargs)

    def simulate_ws(self, path: str = '/', **kwargs: Any) -> _WSContextManager:
        """Open a simulated WebSocket connection to the app.

        Use as ``async with conductor.simulate_ws('/chat') as ws:``; entering waits for the
        app to accept (a denial raises, e.g. ``WebSocketPathNotFound``). On exit the client
        closes the connection (if still open) and the app is awaited.

        Args:
            path: The path.
            **kwargs: Passed to :func:`create_scope_ws` (``headers``, ``subprotocols``, ...),
                plus ``timeout`` (seconds for the handshake, each receive, and the app's exit;
                without it the handshake may take 5 seconds, the rest 30). ``TimeoutError``
                when one of them takes longer.
        """
        explicit = kwargs.get('timeout') or self._timeout
        timeout = _simulate.timeout_value(self._limit(kwargs))
        if self._default_headers:
            kwargs['headers'] = merge_headers(self._default_headers, kwargs.get('headers'))
        scope = create_scope_ws(path=path, **kwargs)
        handshake = timeout if explicit is not None else None
        return _WSContextManager(self.app, scope, timeout, handshake)

    delete = simulate_delete
    get = simulate_get
    get_stream = simulate_get_stream
    head = simulate_head
    options = simulate_options
    patch = simulate_patch
    post = simulate_post
    put = simulate_put
    request = simulate_request
    websocket = simulate_ws
