"""Running one simulated request against a WSGI or ASGI callable, with bounded time and memory.

Invariants:
- The app is only ever reached through its WSGI or ASGI callable.
- Every ASGI simulation has a deadline (``timeout``, default :data:`DEFAULT_TIMEOUT`). An app
  that never sends ``http.response.start``, streams forever, or never finishes lifespan
  startup/shutdown is cancelled at the deadline and a ``TimeoutError`` says what it was doing.
- A WSGI response is consumed chunk by chunk against the same deadline; the only thing that
  cannot be bounded in-process is a WSGI app blocking inside a single call.
- At most :data:`MAX_BODY_SIZE` response bytes are collected; an app that produces more is
  stopped with a clear error instead of exhausting memory.
- Cleanup always runs: WSGI iterables are closed, app and lifespan tasks are awaited or
  cancelled, so no task outlives the call that started it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
import json as json_module
import time
from typing import Any
import wsgiref.validate

from lanner.constants import MEDIA_JSON, MEDIA_MSGPACK
from lanner.testing._asgi_events import (
    ASGILifespanEventEmitter,
    ASGIRequestEventEmitter,
    ASGIResponseEventCollector,
)
from lanner.testing._headers import HeadersArg, header_items
from lanner.testing._results import Result, StreamedResult
from lanner.testing.helpers import DEFAULT_HOST, create_environ, create_scope
from lanner.testing.srmock import StartResponseMock
from lanner.util.misc import code_to_http_status, to_query_str

__all__ = (
    'DEFAULT_TIMEOUT',
    'MAX_BODY_SIZE',
    'Lifespan',
    'SimArgs',
    'prepare',
    'run_asgi',
    'run_wsgi',
)

DEFAULT_TIMEOUT = 30.0
"""Seconds a simulated ASGI request (or WSGI response) may take before ``TimeoutError``."""

MAX_BODY_SIZE = 128 * 1024 * 1024
"""Largest response body (bytes) a non-streamed simulation collects before giving up."""

# How long the high-water mark of a streamed result may grow before the app is paused.
_STREAM_HIGH_WATER = 1024 * 1024

_LIFESPAN_SCOPE_ASGI = {'version': '3.0', 'spec_version': '2.0'}


class SimArgs:
    """The request a ``simulate_*`` call describes, after validation."""

    __slots__ = (
        'body',
        'cookies',
        'extras',
        'headers',
        'host',
        'http_version',
        'method',
        'path',
        'port',
        'protocol',
        'query_string',
        'remote_addr',
        'root_path',
    )

    def __init__(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    method: str
    path: str
    query_string: str
    headers: list[tuple[str, str | None]]
    body: bytes | None
    extras: dict[str, Any]
    protocol: str
    host: str
    remote_addr: str | None
    http_version: str
    port: int | str | None
    root_path: str | None
    cookies: Any


def prepare(
    method: str = 'GET',
    path: str = '/',
    query_string: str | None = None,
    headers: HeadersArg = None,
    content_type: str | None = None,
    body: str | bytes | None = None,
    json: Any = None,
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
    msgpack: Any = None,
) -> SimArgs:
    """Validate ``simulate_request`` arguments and derive the query string, headers and body."""
    if not isinstance(method, str):
        raise TypeError(f'method must be a str, not {type(method).__name__}.')
    if not isinstance(path, str):
        raise TypeError(f'path must be a str, not {type(path).__name__}.')
    if not path.startswith('/'):
        raise ValueError(f"path must start with '/', got {path!r}.")
    if '?' in path:
        if query_string or params:
            raise ValueError(
                'path may not contain a query string in combination with the query_string or '
                'params parameters. Please use only one way of specifying the query string.'
            )
        path, query_string = path.split('?', 1)
    elif query_string and query_string.startswith('?'):
        raise ValueError("query_string should not start with '?'")
    if query_string is None:
        if params is not None and not isinstance(params, Mapping):
            raise TypeError(f'params must be a dict, not {type(params).__name__}.')
        query_string = to_query_str(params, comma_delimited_lists=params_csv, prefix=False)

    header_list = header_items(headers)

    def force_content_type(value: str) -> None:
        header_list[:] = [(n, v) for n, v in header_list if n.lower() != 'content-type']
        header_list.append(('Content-Type', value))

    if content_type is not None:
        force_content_type(content_type)

    data: bytes | None
    if msgpack is not None:
        data = _pack_msgpack(msgpack)
        force_content_type(MEDIA_MSGPACK)
    elif json is not None:
        try:
            data = json_module.dumps(json, ensure_ascii=False).encode('utf-8')
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f'json= must be JSON-serialisable: {exc}. Serialise it yourself and pass body= '
                'with content_type= instead.'
            ) from None
        force_content_type(MEDIA_JSON)
    elif body is None:
        data = None
    elif isinstance(body, str):
        data = body.encode('utf-8')
    elif isinstance(body, (bytes, bytearray, memoryview)):
        data = bytes(body)
    else:
        raise TypeError(
            f'body must be str or bytes, not {type(body).__name__}; serialise it first, or '
            'pass json=... (or msgpack=...) instead.'
        )

    return SimArgs(
        method=method,
        path=path,
        query_string=query_string,
        headers=header_list,
        body=data,
        extras=dict(extras or {}),
        protocol=protocol,
        host=host,
        remote_addr=remote_addr,
        http_version=http_version,
        port=port,
        root_path=root_path,
        cookies=cookies,
    )


def _pack_msgpack(obj: Any) -> bytes:
    try:
        import msgpack
    except ImportError:
        raise RuntimeError(
            'msgpack= needs the msgpack package; install it with: pip install msgpack'
        ) from None
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def timeout_value(timeout: float | None) -> float:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f'timeout must be a positive number of seconds, not {timeout!r}.')
    return float(timeout)


def _describe(args: SimArgs) -> str:
    query = f'?{args.query_string}' if args.query_string else ''
    return f'{args.method} {args.path}{query}'


# ---------------------------------------------------------------------------------- WSGI


def run_wsgi(
    app: Callable[..., Any],
    args: SimArgs,
    file_wrapper: Callable[..., Any] | None,
    wsgierrors: Any,
    timeout: float | None,
) -> Result:
    """Call a WSGI app (wrapped in ``wsgiref.validate.validator``) and collect its response."""
    limit = timeout_value(timeout)
    environ = create_environ(
        method=args.method,
        scheme=args.protocol,
        path=args.path,
        query_string=args.query_string,
        headers=args.headers,
        body=args.body or b'',
        file_wrapper=file_wrapper,
        host=args.host,
        remote_addr=args.remote_addr,
        wsgierrors=wsgierrors,
        http_version=args.http_version,
        port=args.port,
        root_path=args.root_path,
        cookies=args.cookies,
    )
    if 'REQUEST_METHOD' in args.extras and args.extras['REQUEST_METHOD'] != args.method:
        raise ValueError(
            'WSGI environ extras may not override the request method. '
            'Please use the method parameter.'
        )
    environ.update(args.extras)

    srmock = StartResponseMock()
    deadline = time.monotonic() + limit
    iterable = wsgiref.validate.validator(app)(environ, srmock)
    chunks: list[bytes] = []
    size = 0
    try:
        # Iterating fetches the first chunk at once, which makes a lazy app call
        # start_response.
        for chunk in iterable:
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_SIZE:
                raise RuntimeError(
                    f'The WSGI response to {_describe(args)} exceeded {MAX_BODY_SIZE} bytes; '
                    'the app seems to stream without end. If the body '
                    'really is that large, raise the limit with '
                    'lanner.testing.set_limits(max_body_size=...).'
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f'The WSGI app was still producing the body of {_describe(args)} after '
                    f'{limit} seconds ({size} bytes in {len(chunks)} chunks so far); it seems '
                    'to stream without end. Pass timeout= to allow more time.'
                )
    finally:
        # PEP 3333: close() must be called however iteration ended (wsgiref.validate checks).
        close = getattr(iterable, 'close', None)
        if close is not None:
            close()
    if srmock.status is None:
        raise RuntimeError(
            f'The WSGI app returned from {_describe(args)} without calling start_response().'
        )
    assert srmock.headers is not None
    return Result(srmock._written + chunks, srmock.status, srmock.headers)


# ---------------------------------------------------------------------------------- ASGI


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = asyncio.get_running_loop().time() + seconds

    def remaining(self) -> float:
        return max(0.0, self._at - asyncio.get_running_loop().time())


# How long a cancelled app task may take to unwind before we stop waiting for it.
_CANCEL_GRACE = 5.0


async def cancel(task: asyncio.Task[Any]) -> None:
    """Cancel a task and wait (bounded) for it; an error it raises while unwinding propagates."""
    if not task.done():
        task.cancel()
        # asyncio.wait() never raises the task's own CancelledError, so a cancellation of
        # *this* coroutine still propagates (Task.cancelling() needs Python 3.11).
        await asyncio.wait({task}, timeout=_CANCEL_GRACE)
        if not task.done():
            raise RuntimeError(
                f'The ASGI app task ignored cancellation for {_CANCEL_GRACE} seconds (it '
                'seems to catch CancelledError and carry on); it is left running.'
            )
    if not task.cancelled():
        error = task.exception()
        if error is not None:
            raise error


async def _wait_changed(
    collector: ASGIResponseEventCollector, extra: Iterable[Any], timeout: float
) -> None:
    """Wait until the collector records something, one of ``extra`` finishes, or timeout."""
    collector._changed.clear()
    waiter = asyncio.ensure_future(collector._changed.wait())
    try:
        await asyncio.wait({waiter, *extra}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()


class Lifespan:
    """Runs an app's lifespan protocol: startup before requests, shutdown after."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self._app = app
        self._condition = asyncio.Condition()
        self._emitter = ASGILifespanEventEmitter(self._condition)
        self._collector = ASGIResponseEventCollector()
        self._task: asyncio.Task[Any] | None = None
        self._supported = True

    @property
    def task(self) -> asyncio.Task[Any] | None:
        """The task running the app's lifespan scope (None before startup)."""
        return self._task

    def _find(self, *types: str) -> dict[str, Any] | None:
        for event in self._collector.events:
            if event['type'] in types:
                return event
        return None

    async def _wait_for(self, phase: str, deadline: Deadline) -> dict[str, Any] | None:
        task = self._task
        assert task is not None
        types = (f'lifespan.{phase}.complete', f'lifespan.{phase}.failed')
        while True:
            event = self._find(*types)
            if event is not None:
                return event
            if task.done():
                return None
            remaining = deadline.remaining()
            if remaining <= 0:
                await cancel(task)
                raise TimeoutError(
                    f'The ASGI app did not complete lifespan {phase} within {deadline.seconds} '
                    f'seconds. A process_{phase} middleware method may be waiting forever; '
                    'pass timeout= to allow more time.'
                )
            await _wait_changed(self._collector, (task,), remaining)

    async def startup(self, deadline: Deadline) -> None:
        scope = {'type': 'lifespan', 'asgi': dict(_LIFESPAN_SCOPE_ASGI)}
        self._task = asyncio.ensure_future(self._app(scope, self._emitter, self._collector))
        event = await self._wait_for('startup', deadline)
        if event is None:
            # Per the ASGI spec, an app that raises (or returns) on the lifespan scope does not
            # support it; carry on without lifespan events.
            self._supported = False
            if not self._task.cancelled():
                self._task.exception()
            return
        if event['type'] == 'lifespan.startup.failed':
            await self._finish(deadline)
            raise RuntimeError(
                'ASGI app returned lifespan.startup.failed. ' + str(event.get('message', ''))
            )

    async def shutdown(self, deadline: Deadline) -> None:
        task = self._task
        if task is None or not self._supported:
            return
        # Wait until the app is parked in receive(), then let the shutdown event through
        # (a notify() sent before it waits would be lost).
        if not self._emitter.waiting_for_shutdown and not task.done():
            parked = asyncio.ensure_future(self._emitter._parked.wait())
            try:
                await asyncio.wait(
                    {parked, task},
                    timeout=deadline.remaining(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                parked.cancel()
        async with self._condition:
            self._condition.notify_all()
        event = await self._wait_for('shutdown', deadline)
        await self._finish(deadline)
        if event is not None and event['type'] == 'lifespan.shutdown.failed':
            raise RuntimeError(
                'ASGI app returned lifespan.shutdown.failed. ' + str(event.get('message', ''))
            )

    async def _finish(self, deadline: Deadline) -> None:
        task = self._task
        assert task is not None
        if not task.done():
            await asyncio.wait({task}, timeout=deadline.remaining())
        if not task.done():
            await cancel(task)
            return
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                raise error

    async def abort(self) -> None:
        """Stop the lifespan task without a shutdown (the block using the app raised)."""
        if self._task is not None:
            await cancel(self._task)


class _HTTPRun:
    """One HTTP request against an ASGI app."""

    def __init__(
        self,
        app: Callable[..., Any],
        args: SimArgs,
        chunk_size: int,
        disconnect_ttl: float,
        deadline: Deadline,
    ) -> None:
        if isinstance(disconnect_ttl, bool) or not isinstance(disconnect_ttl, (int, float)):
            raise TypeError(f'asgi_disconnect_ttl must be a number, not {disconnect_ttl!r}.')
        self.args = args
        self.deadline = deadline
        self.ttl = max(0.0, float(disconnect_ttl))
        scope = create_scope(
            path=args.path,
            query_string=args.query_string,
            method=args.method,
            headers=args.headers,
            host=args.host,
            scheme=args.protocol,
            port=args.port,
            http_version=args.http_version,
            remote_addr=args.remote_addr,
            root_path=args.root_path,
            content_length=len(args.body) if args.body is not None else None,
            cookies=args.cookies,
        )
        if 'method' in args.extras and args.extras['method'] != args.method.upper():
            raise ValueError(
                'ASGI scope extras may not override the request method. '
                'Please use the method parameter.'
            )
        scope.update(args.extras)
        disconnect_at = 0.0 if self.ttl == 0 else time.time() + self.ttl
        self.emitter = ASGIRequestEventEmitter(
            args.body or b'', chunk_size=chunk_size, disconnect_at=disconnect_at
        )
        self.collector = ASGIResponseEventCollector()
        self.task = asyncio.ensure_future(app(scope, self.emitter, self.collector))
        # When the client's time is up, stop recording: an app still sending is parked.
        self._ttl_handle = asyncio.get_running_loop().call_later(
            self.ttl, self.collector._stop_collecting, 'disconnected'
        )

    def leave_event_stream(self) -> None:
        """Disconnect if the response is an event stream (which may never end)."""
        for name, value in self.collector.headers:
            if name == 'content-type' and value.partition(';')[0].strip() == 'text/event-stream':
                self.emitter.disconnect()
                return

    def _state(self) -> str:
        collector = self.collector
        if collector.status is None:
            return 'never sent http.response.start'
        size = sum(len(chunk) for chunk in collector.body_chunks)
        if collector.more_body is False:
            return (
                f'sent the complete response ({collector.status}, {size} bytes) but did not return'
            )
        return (
            f'sent http.response.start ({collector.status}) but was still sending the body '
            f'({size} bytes in {len(collector.body_chunks)} chunks so far)'
        )

    async def finish(self) -> Result:
        """Wait (bounded) for the app, then build the result."""
        collector = self.collector
        collector._max_body = MAX_BODY_SIZE
        parked = asyncio.ensure_future(collector._parked.wait())
        try:
            await asyncio.wait(
                {self.task, parked},
                timeout=self.deadline.remaining(),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            parked.cancel()
            self._ttl_handle.cancel()
        if self.task.done():
            error = None if self.task.cancelled() else self.task.exception()
            if error is not None:
                raise error
        elif collector._parked.is_set():
            await cancel(self.task)
            if collector._stop_reason == 'overflow':
                raise RuntimeError(
                    f'The response to {_describe(self.args)} exceeded {MAX_BODY_SIZE} bytes; '
                    'the app seems to stream without end. Use '
                    'ASGIConductor.simulate_get_stream() for endless streams, or raise the '
                    'limit with lanner.testing.set_limits(max_body_size=...).'
                )
        else:
            state = self._state()
            await cancel(self.task)
            raise TimeoutError(
                f'The ASGI app {state} within {self.deadline.seconds} seconds for '
                f'{_describe(self.args)}. Something it awaits never completes. For endless '
                'streams use ASGIConductor.simulate_get_stream() or a short '
                'asgi_disconnect_ttl; otherwise pass timeout= to allow more time.'
            )
        return self._result()

    def _no_response_error(self) -> ConnectionError:
        if self.ttl == 0:
            return ConnectionError('An immediate disconnect was simulated.')
        if self.collector._stop_reason == 'disconnected':
            return ConnectionError(
                f'The simulated client disconnected after asgi_disconnect_ttl={self.ttl} '
                f'seconds, before the app sent http.response.start for {_describe(self.args)}.'
            )
        return ConnectionError(
            f'The ASGI app returned without sending http.response.start for {_describe(self.args)}.'
        )

    def _result(self) -> Result:
        collector = self.collector
        if collector.status is None:
            raise self._no_response_error()
        status = code_to_http_status(collector.status)
        return Result(collector.body_chunks, status, collector.headers)

    async def stream(self) -> StreamedResult:
        """Wait (bounded) for the response start and return a streamed result."""
        collector = self.collector
        self._ttl_handle.cancel()
        collector._high_water = _STREAM_HIGH_WATER
        while collector.status is None:
            if self.task.done():
                error = None if self.task.cancelled() else self.task.exception()
                raise error if error is not None else self._no_response_error()
            remaining = self.deadline.remaining()
            if remaining <= 0:
                await cancel(self.task)
                raise TimeoutError(
                    f'The ASGI app never sent http.response.start for {_describe(self.args)} '
                    f'within {self.deadline.seconds} seconds. Something it awaits never '
                    'completes; pass timeout= to allow more time.'
                )
            await _wait_changed(collector, (self.task,), remaining)
        result = StreamedResult(
            collector.body_chunks,
            code_to_http_status(collector.status),
            collector.headers,
            self.task,
            self.emitter,
        )
        result.stream._on_read = collector._consumed
        result._finalizer = self.finalize_stream
        return result

    async def finalize_stream(self) -> None:
        """Disconnect the client and wait (bounded) for the app to stop."""
        self.emitter.disconnect()
        self.collector._stop_collecting('disconnected')
        parked = asyncio.ensure_future(self.collector._parked.wait())
        try:
            await asyncio.wait(
                {self.task, parked},
                timeout=self.deadline.seconds,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            parked.cancel()
        if self.task.done():
            error = None if self.task.cancelled() else self.task.exception()
            if error is not None:
                raise error
            return
        if self.collector._parked.is_set():
            # The app kept streaming after the client left; a server would drop it too.
            await cancel(self.task)
            return
        await cancel(self.task)
        raise TimeoutError(
            f'The ASGI app did not finish {_describe(self.args)} within '
            f'{self.deadline.seconds} seconds after the simulated client disconnected.'
        )


async def run_asgi(
    app: Callable[..., Any],
    args: SimArgs,
    *,
    asgi_chunk_size: int = 4096,
    asgi_disconnect_ttl: float = 300,
    timeout: float | None = None,
    one_shot: bool = True,
    stream: bool = False,
) -> Result | StreamedResult:
    """Simulate one request against an ASGI app.

    One-shot (``simulate_request``): lifespan startup, the request, lifespan shutdown.
    Otherwise (``ASGIConductor``): the request alone; with ``stream`` the result is returned as
    soon as the response has started. Without ``stream`` the client reads the whole body, but
    leaves an event stream (``text/event-stream``) as soon as it starts, as Falcon's client
    does: the result then holds the events sent before the app noticed.
    """
    deadline = Deadline(timeout_value(timeout))
    if not one_shot:
        run = _HTTPRun(app, args, asgi_chunk_size, asgi_disconnect_ttl, deadline)
        if stream:
            return await run.stream()
        run.collector._on_start = run.leave_event_stream
        return await run.finish()

    lifespan = Lifespan(app)
    await lifespan.startup(deadline)
    try:
        result = await _HTTPRun(app, args, asgi_chunk_size, asgi_disconnect_ttl, deadline).finish()
    except BaseException:
        await lifespan.abort()
        raise
    await lifespan.shutdown(deadline)
    return result
