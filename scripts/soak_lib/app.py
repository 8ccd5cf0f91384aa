"""The soak app: the example app's notes API written portably, plus instrumented endpoints.

The same source runs on lanner and on Falcon 4.4 (``SOAK_FRAMEWORK=lanner|falcon``), so figure 1
compares the two frameworks on one app in one run. It reuses the example's note store
(``examples/notes_store.py``, standard library only) and its static directory; the resources
mirror ``examples/app.py`` (same routes, statuses and validation), minus the live feed, which
needs lanner's ``EventBroker``.

Routes:

* ``/``, ``/static/...``, ``/notes``, ``/notes/{note_id:int}``: as in the example app.
* ``POST /upload``: streams the body through SHA-256; answers ``{"size", "sha256"}``.
* ``GET /download?size=&seed=``: a deterministic streamed body (``soak_lib.data``).
* ``GET /stream``: an endless streamed body (a chunk every 20 ms, bounded to 120 s).
* ``WebSocket /ws/echo``: echoes text messages.
* ``GET /events`` (lanner only): an SSE subscription to a broker; ``POST /publish?n=`` feeds it.
* ``GET /stats``: handlers running, SSE subscribers, open file descriptors, resident memory.

Every loop is bounded in iterations and in time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import hashlib
import importlib
import os
from pathlib import Path
import time
from typing import Any

from examples.notes_store import MAX_BODY, MAX_TITLE, NoteStore
from soak_lib.data import blocks

FRAMEWORK = os.environ.get('SOAK_FRAMEWORK', 'lanner')
fw: Any = importlib.import_module(FRAMEWORK)
fw_asgi: Any = importlib.import_module(f'{FRAMEWORK}.asgi')

STATIC_DIR = Path(__file__).resolve().parents[2] / 'examples' / 'static'
MAX_DOWNLOAD = 2 * 1024**3
STREAM_TICK = 0.02
STREAM_LIMIT = 120.0

ACTIVE: Counter[str] = Counter()


def _rss_kib() -> int:
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def _validated(doc: Any, partial: bool = False) -> dict[str, str]:
    """The example app's validation rules (422 with a description)."""

    def invalid(description: str) -> Exception:
        return fw.HTTPUnprocessableEntity(title='Invalid note', description=description)  # type: ignore[no-any-return]

    if not isinstance(doc, dict):
        raise invalid('The body must be a JSON object.')
    unknown = set(doc) - {'title', 'body'}
    if unknown:
        raise invalid(f'Unknown fields: {", ".join(sorted(unknown))}.')
    out: dict[str, str] = {}
    for field, limit in (('title', MAX_TITLE), ('body', MAX_BODY)):
        if field not in doc:
            if partial or field == 'body':
                continue
            raise invalid(f'"{field}" is required.')
        value = doc[field]
        if not isinstance(value, str) or (field == 'title' and not value.strip()):
            raise invalid(f'"{field}" must be a non-empty string.')
        if len(value) > limit:
            raise invalid(f'"{field}" is longer than {limit} characters.')
        out[field] = value
    return out


class Notes:
    def __init__(self, store: NoteStore) -> None:
        self.store = store

    async def on_get(self, req: Any, resp: Any) -> None:
        limit = req.get_param_as_int('limit', default=50, min_value=1, max_value=500)
        offset = req.get_param_as_int('offset', default=0, min_value=0)
        resp.media = {'notes': [n.to_dict() for n in self.store.list(limit, offset)]}

    async def on_post(self, req: Any, resp: Any) -> None:
        fields = _validated(await req.get_media())
        note = self.store.create(fields['title'], fields.get('body', ''))
        resp.status = fw.HTTP_201
        resp.location = f'/notes/{note.id}'
        resp.media = note.to_dict()


class Note:
    def __init__(self, store: NoteStore) -> None:
        self.store = store

    def _get(self, note_id: int) -> Any:
        note = self.store.get(note_id)
        if note is None:
            raise fw.HTTPNotFound(description=f'There is no note {note_id}.')
        return note

    async def on_get(self, req: Any, resp: Any, note_id: int) -> None:
        resp.media = self._get(note_id).to_dict()

    async def on_put(self, req: Any, resp: Any, note_id: int) -> None:
        self._get(note_id)
        fields = _validated(await req.get_media())
        note = self.store.update(note_id, fields['title'], fields.get('body', ''))
        if note is None:
            raise fw.HTTPNotFound(description=f'There is no note {note_id}.')
        resp.media = note.to_dict()

    async def on_patch(self, req: Any, resp: Any, note_id: int) -> None:
        current = self._get(note_id)
        fields = _validated(await req.get_media(), partial=True)
        note = self.store.update(
            note_id, fields.get('title', current.title), fields.get('body', current.body)
        )
        if note is None:
            raise fw.HTTPNotFound(description=f'There is no note {note_id}.')
        resp.media = note.to_dict()

    async def on_delete(self, req: Any, resp: Any, note_id: int) -> None:
        if not self.store.delete(note_id):
            raise fw.HTTPNotFound(description=f'There is no note {note_id}.')
        resp.status = fw.HTTP_204


class Index:
    async def on_get(self, req: Any, resp: Any) -> None:
        raise fw.HTTPFound('/static/index.html')


class Upload:
    async def on_post(self, req: Any, resp: Any) -> None:
        ACTIVE['upload'] += 1
        digest = hashlib.sha256()
        size = 0
        try:
            async for chunk in req.stream:
                digest.update(chunk)
                size += len(chunk)
        finally:
            ACTIVE['upload'] -= 1
        resp.media = {'size': size, 'sha256': digest.hexdigest()}


async def _download(size: int, seed: str) -> Any:
    ACTIVE['download'] += 1
    try:
        for data in blocks(seed, size):
            yield data
    finally:
        ACTIVE['download'] -= 1


class Download:
    async def on_get(self, req: Any, resp: Any) -> None:
        size = req.get_param_as_int('size', required=True, min_value=0, max_value=MAX_DOWNLOAD)
        seed = req.get_param('seed', default='soak')
        resp.content_type = 'application/octet-stream'
        resp.set_stream(_download(size, seed), size)


async def _endless() -> Any:
    ACTIVE['stream'] += 1
    try:
        deadline = time.monotonic() + STREAM_LIMIT
        tick = 0
        while time.monotonic() < deadline:
            yield b'tick %08d\n' % tick
            tick += 1
            await asyncio.sleep(STREAM_TICK)
    finally:
        ACTIVE['stream'] -= 1


class Stream:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.content_type = 'text/plain'
        resp.stream = _endless()


class Echo:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        ACTIVE['ws'] += 1
        try:
            await ws.accept()
            deadline = time.monotonic() + 3600
            while time.monotonic() < deadline:
                await ws.send_text(await ws.receive_text())
        except fw.WebSocketDisconnected:
            pass
        finally:
            ACTIVE['ws'] -= 1


class Stats:
    def __init__(self, broker: Any) -> None:
        self.broker = broker

    async def on_get(self, req: Any, resp: Any) -> None:
        resp.media = {
            'framework': FRAMEWORK,
            'active': {k: v for k, v in ACTIVE.items() if v},
            'subscribers': self.broker.subscriber_count if self.broker is not None else None,
            'fds': len(os.listdir('/proc/self/fd')),
            'rss_kib': _rss_kib(),
            'tasks': len(asyncio.all_tasks()),
        }


class Events:
    def __init__(self, broker: Any) -> None:
        self.broker = broker

    async def on_get(self, req: Any, resp: Any) -> None:
        resp.sse = self.broker.subscribe(req.last_event_id)


class Publish:
    def __init__(self, broker: Any) -> None:
        self.broker = broker

    async def on_post(self, req: Any, resp: Any) -> None:
        from lanner.sse import SSEvent

        count = req.get_param_as_int('n', default=1, min_value=1, max_value=1000)
        for _ in range(count):
            self.broker.publish(SSEvent(json={'at': time.time()}, event='tick'))
        resp.media = {'published': count, 'last_event_id': self.broker.last_event_id}


def create_app() -> Any:
    store = NoteStore(':memory:')
    app = fw_asgi.App()
    broker = None
    if FRAMEWORK == 'lanner':
        from lanner.sse import EventBroker

        broker = EventBroker()
        app.add_route('/events', Events(broker))
        app.add_route('/publish', Publish(broker))
    app.add_route('/', Index())
    app.add_route('/notes', Notes(store))
    app.add_route('/notes/{note_id:int}', Note(store))
    app.add_route('/upload', Upload())
    app.add_route('/download', Download())
    app.add_route('/stream', Stream())
    app.add_route('/ws/echo', Echo())
    app.add_route('/stats', Stats(broker))
    app.add_static_route('/static', STATIC_DIR)
    return app


app = create_app()
