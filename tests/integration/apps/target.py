"""The app the fault and hostile-input suites send real traffic to (ASGI and WSGI builds).

Served in a subprocess: ``uvicorn apps.target:asgi_app`` and ``python -m apps.wsgi_serve
apps.target:wsgi_app`` (``tests/integration`` is the app directory). Every long-running handler
is instrumented: it counts itself in ``ACTIVE`` while it runs and logs one ``target:`` line when
it ends, so a test can see from outside (``GET /_stats`` and the server log) that a handler
finished and nothing leaked. Every loop here is bounded in iterations and in time.

Routes (both flavours unless marked ASGI):

* ``GET /health``: ``ok``. ``GET /headers``: the number of request header fields (reads
  ``req.headers``, as real apps and middleware do). ``GET /_stats``: counters, open fds,
  asyncio tasks (ASGI) or threads.
* ``GET /items/{item_id:int}?limit=``: typed path and query parameters.
* ``POST /echo``: ``get_media()`` echoed back. ``POST /form``: names and sizes of the form's
  fields or parts. ``POST /upload``: SHA-256 and size of the body.
* ``/static/...``: a static route over ``apps/static``.
* ``GET /inject/{api}?v=``: writes ``v`` through one header-writing API (see ``INJECTORS``).
* ``GET /stream?chunks=&delay=&fail_at=``: a streamed body; ``GET /sse?...``: the same as SSE.
* ``GET /sse-inject/{field}?v=&where=responder|emitter``: ``v`` in one SSE field.
* ``GET /slow?delay=``: answers after ``delay`` seconds.
* ``GET /fail/responder``: raises ``RuntimeError``.
* WebSocket (ASGI): ``/ws/echo``, ``/ws/fail?when=before_accept|after_accept|http_error``,
  ``/ws/inject?v=``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
import hashlib
import logging
import os
from pathlib import Path
import sys
import threading
import time
from typing import Any

import lanner
from lanner.app import App as WSGIApp
import lanner.asgi
from lanner.http_status import HTTPStatus

STATIC_DIR = Path(__file__).resolve().parent / 'static'
MAX_CHUNKS = 2000  # hard bound on any streamed response
MAX_SECONDS = 30.0  # hard bound on how long any handler keeps running
MAX_DELAY = 5.0

log = logging.getLogger('target')
if os.environ.get('TARGET_SERVER_LOGGING'):
    # Only in the server subprocess: importing this module in the test process (for INJECTORS)
    # must not reconfigure that process's logging.
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s'
    )
    logging.getLogger('lanner').setLevel(logging.DEBUG)

_lock = threading.Lock()
ACTIVE: Counter[str] = Counter()
FINISHED: Counter[str] = Counter()
LAST: dict[str, Any] = {}


def _enter(kind: str) -> None:
    with _lock:
        ACTIVE[kind] += 1


def _leave(kind: str, detail: str, **last: Any) -> None:
    with _lock:
        ACTIVE[kind] -= 1
        FINISHED[kind] += 1
        LAST[kind] = last
    log.info('%s finished: %s', kind, detail)


def _fd_count() -> int:
    return len(os.listdir('/proc/self/fd'))


def _stats(tasks: int | None) -> dict[str, Any]:
    with _lock:
        return {
            'active': {k: v for k, v in ACTIVE.items() if v},
            'finished': dict(FINISHED),
            'last': dict(LAST),
            'fds': _fd_count(),
            'threads': threading.active_count(),
            'tasks': tasks,
        }


def _delay(req: Any, default: float = 0.0) -> float:
    value = req.get_param_as_float('delay', default=default, min_value=0.0, max_value=MAX_DELAY)
    return float(value)


def _chunks(req: Any) -> int:
    return int(req.get_param_as_int('chunks', default=10, min_value=0, max_value=MAX_CHUNKS))


def _fail_at(req: Any) -> int | None:
    value = req.get_param_as_int('fail_at', min_value=0, max_value=MAX_CHUNKS)
    return None if value is None else int(value)


# ---------------------------------------------------------------------------------------------
# Header-writing APIs, each fed with the request's ``v``. Raising is what a validating API does
# with a value that cannot go on the wire; the suites check the status, and that nothing the
# value carried turned into a header, a cookie or an SSE field.


def _raise(error: BaseException) -> None:
    raise error


INJECTORS: dict[str, Callable[[Any, str], None]] = {
    'set_header': lambda resp, v: resp.set_header('X-Echo', v),
    'set_header_name': lambda resp, v: resp.set_header(v, 'x'),
    'append_header': lambda resp, v: resp.append_header('X-Echo', v),
    'append_header_set_cookie': lambda resp, v: resp.append_header('Set-Cookie', v),
    'set_headers': lambda resp, v: resp.set_headers({'X-Echo': v}),
    'set_headers_pairs': lambda resp, v: resp.set_headers([('X-Echo', v)]),
    'set_cookie_value': lambda resp, v: resp.set_cookie('c', v),
    'set_cookie_name': lambda resp, v: resp.set_cookie(v, 'x'),
    'set_cookie_domain': lambda resp, v: resp.set_cookie('c', 'x', domain=v),
    'set_cookie_path': lambda resp, v: resp.set_cookie('c', 'x', path=v),
    'unset_cookie_domain': lambda resp, v: resp.unset_cookie('c', domain=v),
    'unset_cookie_path': lambda resp, v: resp.unset_cookie('c', path=v),
    'unset_cookie_same_site': lambda resp, v: resp.unset_cookie('c', same_site=v),
    'location': lambda resp, v: setattr(resp, 'location', v),
    'content_location': lambda resp, v: setattr(resp, 'content_location', v),
    'content_type': lambda resp, v: setattr(resp, 'content_type', v),
    'cache_control': lambda resp, v: setattr(resp, 'cache_control', [v]),
    'vary': lambda resp, v: setattr(resp, 'vary', [v]),
    'etag': lambda resp, v: setattr(resp, 'etag', v),
    'retry_after': lambda resp, v: setattr(resp, 'retry_after', v),
    'accept_ranges': lambda resp, v: setattr(resp, 'accept_ranges', v),
    'content_length': lambda resp, v: setattr(resp, 'content_length', v),
    'content_range_unit': lambda resp, v: setattr(resp, 'content_range', (0, 1, 2, v)),
    'downloadable_as': lambda resp, v: setattr(resp, 'downloadable_as', v),
    'viewable_as': lambda resp, v: setattr(resp, 'viewable_as', v),
    'append_link_target': lambda resp, v: resp.append_link(v, 'next'),
    'append_link_title': lambda resp, v: resp.append_link('/next', 'next', title=v),
    'append_link_anchor': lambda resp, v: resp.append_link('/next', 'next', anchor=v),
    'http_error_headers': lambda resp, v: _raise(lanner.HTTPBadRequest(headers={'X-Err': v})),
    'http_status_headers': lambda resp, v: _raise(HTTPStatus(202, headers={'X-Err': v})),
    'redirect_found': lambda resp, v: _raise(lanner.HTTPFound(v)),
    'redirect_see_other': lambda resp, v: _raise(lanner.HTTPSeeOther(v)),
    'unauthorized_challenge': lambda resp, v: _raise(lanner.HTTPUnauthorized(challenges=[v])),
    'method_not_allowed': lambda resp, v: _raise(lanner.HTTPMethodNotAllowed([v])),
}


# ---------------------------------------------------------------------------------------------
# Resources shared by both flavours (the flavour-specific parts are small subclasses below).


class Items:
    def _get(self, req: Any, resp: Any, item_id: int) -> None:
        limit = req.get_param_as_int('limit', default=10, min_value=1, max_value=100)
        resp.media = {'id': item_id, 'limit': limit}


class InjectBase:
    def _apply(self, req: Any, resp: Any, api: str) -> None:
        injector = INJECTORS.get(api)
        if injector is None:
            raise lanner.HTTPNotFound(description=f'No injector {api!r}.')
        value = req.get_param('v', default='')
        injector(resp, value)
        resp.text = 'no error was raised'


def _sse_event(field: str, value: str) -> Any:
    from lanner.sse import SSEvent

    if field == 'event':
        return SSEvent(data=b'payload', event=value)
    if field == 'event_id':
        return SSEvent(data=b'payload', event_id=value)
    if field == 'comment':
        return SSEvent(data=b'payload', comment=value)
    if field == 'text':
        return SSEvent(text=value)
    if field == 'data':
        return SSEvent(data=value.encode())
    if field == 'json':
        return SSEvent(json={'v': value})
    raise lanner.HTTPNotFound(description=f'No SSE field {field!r}.')


# ---------------------------------------------------------------------------------------------
# ASGI


class AsyncHealth:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.text = 'ok'
        resp.content_type = lanner.MEDIA_TEXT


class AsyncHeaders:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.media = {'fields': len(req.headers)}


class AsyncStats:
    async def on_get(self, req: Any, resp: Any) -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        resp.media = _stats(len(tasks))


class AsyncItems(Items):
    async def on_get(self, req: Any, resp: Any, item_id: int) -> None:
        self._get(req, resp, item_id)


class AsyncEcho:
    async def on_post(self, req: Any, resp: Any) -> None:
        resp.media = {'echo': await req.get_media()}


class AsyncForm:
    async def on_post(self, req: Any, resp: Any) -> None:
        form = await req.get_media()
        if isinstance(form, dict):  # application/x-www-form-urlencoded
            resp.media = {'fields': sorted(form)}
            return
        parts = []
        async for part in form:
            parts.append([part.name, len(await part.get_data())])
        resp.media = {'parts': parts}


class AsyncUpload:
    async def on_post(self, req: Any, resp: Any) -> None:
        _enter('upload')
        digest = hashlib.sha256()
        size = 0
        outcome = 'incomplete'
        try:
            async for chunk in req.stream:
                digest.update(chunk)
                size += len(chunk)
            outcome = 'complete' if size == (req.content_length or 0) else 'short'
        finally:
            _leave('upload', f'{size} bytes, {outcome}', size=size, outcome=outcome)
        resp.media = {'size': size, 'sha256': digest.hexdigest()}


class AsyncInject(InjectBase):
    async def on_get(self, req: Any, resp: Any, api: str) -> None:
        self._apply(req, resp, api)


def _chunk(number: int) -> bytes:
    return b'chunk %05d\n' % number


def _event(number: int) -> Any:
    from lanner.sse import SSEvent

    return SSEvent(data=b'chunk %05d' % number, event_id=str(number))


async def _async_chunks(
    kind: str, count: int, delay: float, fail_at: int | None, render: Callable[[int], Any]
) -> AsyncIterator[Any]:
    _enter(kind)
    sent = 0
    reason = 'completed'
    deadline = time.monotonic() + MAX_SECONDS
    try:
        while sent < count and time.monotonic() < deadline:
            if fail_at is not None and sent == fail_at:
                raise RuntimeError(f'{kind} generator failed on purpose at chunk {sent}')
            yield render(sent)
            sent += 1
            if delay:
                await asyncio.sleep(delay)
    except GeneratorExit:
        reason = 'closed'
        raise
    except asyncio.CancelledError:
        reason = 'cancelled'
        raise
    except Exception as ex:
        reason = f'failed: {ex}'
        raise
    finally:
        _leave(kind, f'{sent} chunks, {reason}', sent=sent, reason=reason)


class AsyncStream:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.content_type = lanner.MEDIA_TEXT
        resp.stream = _async_chunks('stream', _chunks(req), _delay(req), _fail_at(req), _chunk)


class AsyncSSE:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.sse = _async_chunks('sse', _chunks(req), _delay(req), _fail_at(req), _event)


class AsyncSSEInject:
    async def on_get(self, req: Any, resp: Any, field: str) -> None:
        value = req.get_param('v', default='')
        if req.get_param('where', default='responder') == 'responder':
            event = _sse_event(field, value)

            async def one() -> AsyncIterator[Any]:
                yield event

            resp.sse = one()
        else:

            async def late() -> AsyncIterator[Any]:
                from lanner.sse import SSEvent

                yield SSEvent(data=b'first')
                yield _sse_event(field, value)

            resp.sse = late()


class AsyncSlow:
    async def on_get(self, req: Any, resp: Any) -> None:
        _enter('slow')
        outcome = 'cancelled'
        try:
            await asyncio.sleep(_delay(req, 0.5))
            outcome = 'completed'
        finally:
            _leave('slow', outcome, outcome=outcome)
        resp.text = 'slept'


class AsyncFail:
    async def on_get(self, req: Any, resp: Any) -> None:
        raise RuntimeError('responder failed on purpose')


class WSEcho:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        _enter('ws')
        received = 0
        code: Any = None
        deadline = time.monotonic() + MAX_SECONDS
        try:
            await ws.accept()
            while received < 10_000 and time.monotonic() < deadline:
                text = await ws.receive_text()
                received += 1
                await ws.send_text(text)
        except lanner.WebSocketDisconnected as ex:
            code = ex.code
            raise  # lanner's default handler logs the disconnect
        finally:
            _leave('ws', f'{received} messages, close code {code}', received=received, code=code)


class WSFail:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        when = req.get_param('when', default='after_accept')
        if when == 'http_error':
            raise lanner.HTTPForbidden(description='WebSocket refused on purpose')
        if when == 'after_accept':
            await ws.accept()
            await ws.receive_text()
        raise RuntimeError(f'WebSocket handler failed on purpose ({when})')


class WSInject:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept(headers={'X-Inject': req.get_param('v', default='')})
        await ws.close()


class Lifespan:
    """Lifespan middleware; ``TARGET_FAIL_STARTUP`` / ``TARGET_FAIL_SHUTDOWN`` make it raise."""

    async def process_startup(self, scope: Any, event: Any) -> None:
        if os.environ.get('TARGET_FAIL_STARTUP'):
            raise RuntimeError('startup failed on purpose')
        log.info('lifespan startup complete')

    async def process_shutdown(self, scope: Any, event: Any) -> None:
        with _lock:
            active = {k: v for k, v in ACTIVE.items() if v}
        log.info('lifespan shutdown; still active: %s', active or 'nothing')
        if os.environ.get('TARGET_FAIL_SHUTDOWN'):
            raise RuntimeError('shutdown failed on purpose')


def build_asgi() -> lanner.asgi.App:
    app = lanner.asgi.App(middleware=[Lifespan()])
    app.add_route('/health', AsyncHealth())
    app.add_route('/headers', AsyncHeaders())
    app.add_route('/_stats', AsyncStats())
    app.add_route('/items/{item_id:int}', AsyncItems())
    app.add_route('/echo', AsyncEcho())
    app.add_route('/form', AsyncForm())
    app.add_route('/upload', AsyncUpload())
    app.add_route('/inject/{api}', AsyncInject())
    app.add_route('/stream', AsyncStream())
    app.add_route('/sse', AsyncSSE())
    app.add_route('/sse-inject/{field}', AsyncSSEInject())
    app.add_route('/slow', AsyncSlow())
    app.add_route('/fail/responder', AsyncFail())
    app.add_route('/ws/echo', WSEcho())
    app.add_route('/ws/fail', WSFail())
    app.add_route('/ws/inject', WSInject())
    app.add_static_route('/static', STATIC_DIR)
    return app


# ---------------------------------------------------------------------------------------------
# WSGI


class SyncHealth:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.text = 'ok'
        resp.content_type = lanner.MEDIA_TEXT


class SyncHeaders:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = {'fields': len(req.headers)}


class SyncStats:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.media = _stats(None)


class SyncItems(Items):
    def on_get(self, req: Any, resp: Any, item_id: int) -> None:
        self._get(req, resp, item_id)


class SyncEcho:
    def on_post(self, req: Any, resp: Any) -> None:
        resp.media = {'echo': req.get_media()}


class SyncForm:
    def on_post(self, req: Any, resp: Any) -> None:
        form = req.get_media()
        if isinstance(form, dict):
            resp.media = {'fields': sorted(form)}
            return
        resp.media = {'parts': [[part.name, len(part.get_data())] for part in form]}


class SyncUpload:
    def on_post(self, req: Any, resp: Any) -> None:
        _enter('upload')
        digest = hashlib.sha256()
        size = 0
        outcome = 'incomplete'
        try:
            stream = req.bounded_stream
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    break
                digest.update(chunk)
                size += len(chunk)
            outcome = 'complete' if size == (req.content_length or 0) else 'short'
        finally:
            _leave('upload', f'{size} bytes, {outcome}', size=size, outcome=outcome)
        resp.media = {'size': size, 'sha256': digest.hexdigest()}


class SyncInject(InjectBase):
    def on_get(self, req: Any, resp: Any, api: str) -> None:
        self._apply(req, resp, api)


def _sync_chunks(
    kind: str, count: int, delay: float, fail_at: int | None, render: Callable[[int], Any]
) -> Iterator[Any]:
    _enter(kind)
    sent = 0
    reason = 'completed'
    deadline = time.monotonic() + MAX_SECONDS
    try:
        while sent < count and time.monotonic() < deadline:
            if fail_at is not None and sent == fail_at:
                raise RuntimeError(f'{kind} generator failed on purpose at chunk {sent}')
            yield render(sent)
            sent += 1
            if delay:
                time.sleep(delay)
    except GeneratorExit:
        reason = 'closed'
        raise
    except Exception as ex:
        reason = f'failed: {ex}'
        raise
    finally:
        _leave(kind, f'{sent} chunks, {reason}', sent=sent, reason=reason)


class SyncStream:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.content_type = lanner.MEDIA_TEXT
        resp.stream = _sync_chunks('stream', _chunks(req), _delay(req), _fail_at(req), _chunk)


class SyncSSE:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.sse = _sync_chunks('sse', _chunks(req), _delay(req), _fail_at(req), _event)


class SyncSSEInject:
    def on_get(self, req: Any, resp: Any, field: str) -> None:
        value = req.get_param('v', default='')
        if req.get_param('where', default='responder') == 'responder':
            resp.sse = iter([_sse_event(field, value)])
        else:

            def late() -> Iterator[Any]:
                from lanner.sse import SSEvent

                yield SSEvent(data=b'first')
                yield _sse_event(field, value)

            resp.sse = late()


class SyncSlow:
    def on_get(self, req: Any, resp: Any) -> None:
        _enter('slow')
        try:
            time.sleep(_delay(req, 0.5))
        finally:
            _leave('slow', 'completed', outcome='completed')
        resp.text = 'slept'


class SyncFail:
    def on_get(self, req: Any, resp: Any) -> None:
        raise RuntimeError('responder failed on purpose')


def build_wsgi() -> WSGIApp:
    app = WSGIApp()
    app.add_route('/health', SyncHealth())
    app.add_route('/headers', SyncHeaders())
    app.add_route('/_stats', SyncStats())
    app.add_route('/items/{item_id:int}', SyncItems())
    app.add_route('/echo', SyncEcho())
    app.add_route('/form', SyncForm())
    app.add_route('/upload', SyncUpload())
    app.add_route('/inject/{api}', SyncInject())
    app.add_route('/stream', SyncStream())
    app.add_route('/sse', SyncSSE())
    app.add_route('/sse-inject/{field}', SyncSSEInject())
    app.add_route('/slow', SyncSlow())
    app.add_route('/fail/responder', SyncFail())
    app.add_static_route('/static', STATIC_DIR)
    return app


asgi_app = build_asgi()
wsgi_app = build_wsgi()
