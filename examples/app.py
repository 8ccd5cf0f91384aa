"""The lanner example application: a notes API with live updates.

* REST: ``/notes`` (list, create) and ``/notes/{note_id:int}`` (read, replace, edit, delete),
  stored in an embedded sqlite3 database.
* WebSocket: ``/feed`` pushes every change to connected clients as JSON carrying its event id
  (``"id"``), and answers ``ping``; a client reconnecting with ``/feed?last_id=<id>`` first gets
  exactly the changes it missed.
* Server-Sent Events: ``/notifications`` streams the same changes; reconnecting clients resume
  from ``Last-Event-ID``.
* A static page at ``/`` (served from ``examples/static``) that uses all three.

Serve it with ``hatch run serve`` (uvicorn on 127.0.0.1:8000), or
``lanner serve examples.app:app``.

Several worker processes (``lanner serve examples.app:app --workers 4``) need two shared things:

* ``LANNER_CHANNELS_URL=redis://127.0.0.1:6379/0``: WebSocket and SSE fan-out through Redis (or
  Valkey), so a note created on one worker reaches clients attached to every worker, and a
  ``Last-Event-ID`` reconnect to any worker gets its replay. Unset: in-memory, one process.
* ``LANNER_NOTES_DB=/path/notes.sqlite3``: one sqlite database file for all workers (WAL mode).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from examples.notes_store import MAX_BODY, MAX_TITLE, Note, NoteStore
import lanner
import lanner.asgi
from lanner.channels import Channels, ChannelsUnavailable
from lanner.sse import EventBroker, SSEvent
from lanner.websocket import Broadcaster

STATIC_DIR = Path(__file__).resolve().parent / 'static'


class LiveFeed:
    """Fans note events out to WebSocket clients and SSE streams, through shared channels."""

    def __init__(self, channels: Channels | None = None) -> None:
        self.channels = channels if channels is not None else Channels()
        self.broker = EventBroker(channels=self.channels, channel='notes.sse')
        # Sends to every socket concurrently; dead or too-slow clients are dropped, never waited
        # on. If the channel reports missed messages, sockets are closed with 1012: reconnect
        # with ?last_id= (every message carries its event id as "id") to get what was missed.
        self.room = Broadcaster(
            send_timeout=2.0, channels=self.channels, channel='notes.ws', event_id_field='id'
        )

    async def publish(self, kind: str, note: dict[str, Any]) -> None:
        message = {'event': kind, 'note': note}
        try:
            await self.broker.apublish(SSEvent(json=message, event=kind))
            await self.room.broadcast_json(message)
        except ChannelsUnavailable as exc:
            # The change is stored; only its live notification failed. Say so (503) instead of
            # a bare 500, so clients can re-read the resource.
            raise lanner.HTTPServiceUnavailable(
                title='Live update failed',
                description=f'The change was saved but could not be announced: {exc}',
            ) from exc


def _validated(doc: Any, partial: bool = False) -> dict[str, str]:
    if not isinstance(doc, dict):
        raise lanner.HTTPUnprocessableEntity(
            title='Invalid note', description='The body must be a JSON object.'
        )
    unknown = set(doc) - {'title', 'body'}
    if unknown:
        raise lanner.HTTPUnprocessableEntity(
            title='Invalid note', description=f'Unknown fields: {", ".join(sorted(unknown))}.'
        )
    out: dict[str, str] = {}
    for field, limit in (('title', MAX_TITLE), ('body', MAX_BODY)):
        if field not in doc:
            if partial or field == 'body':
                continue
            raise lanner.HTTPUnprocessableEntity(
                title='Invalid note', description=f'"{field}" is required.'
            )
        value = doc[field]
        if not isinstance(value, str) or (field == 'title' and not value.strip()):
            raise lanner.HTTPUnprocessableEntity(
                title='Invalid note',
                description=f'"{field}" must be a non-empty string.'
                if field == 'title'
                else f'"{field}" must be a string.',
            )
        if len(value) > limit:
            raise lanner.HTTPUnprocessableEntity(
                title='Invalid note', description=f'"{field}" is longer than {limit} characters.'
            )
        out[field] = value
    return out


class NotesResource:
    def __init__(self, store: NoteStore, feed: LiveFeed) -> None:
        self.store = store
        self.feed = feed

    async def on_get(self, req: lanner.asgi.Request, resp: lanner.asgi.Response) -> None:
        limit = req.get_param_as_int('limit', default=50, min_value=1, max_value=500)
        offset = req.get_param_as_int('offset', default=0, min_value=0)
        # sqlite3 in memory answers in microseconds; a thread hop would cost more than it saves.
        resp.media = {'notes': [n.to_dict() for n in self.store.list(limit, offset)]}

    async def on_post(self, req: lanner.asgi.Request, resp: lanner.asgi.Response) -> None:
        fields = _validated(await req.get_media())
        note = self.store.create(fields['title'], fields.get('body', ''))
        resp.status = lanner.HTTP_201
        resp.location = f'/notes/{note.id}'
        resp.media = note.to_dict()
        await self.feed.publish('note.created', note.to_dict())


class NoteResource:
    def __init__(self, store: NoteStore, feed: LiveFeed) -> None:
        self.store = store
        self.feed = feed

    def _get(self, note_id: int) -> Note:
        note = self.store.get(note_id)
        if note is None:
            raise lanner.HTTPNotFound(description=f'There is no note {note_id}.')
        return note

    async def on_get(self, req: Any, resp: Any, note_id: int) -> None:
        resp.media = self._get(note_id).to_dict()

    async def on_put(self, req: Any, resp: Any, note_id: int) -> None:
        self._get(note_id)
        fields = _validated(await req.get_media())
        note = self.store.update(note_id, fields['title'], fields.get('body', ''))
        if note is None:  # deleted concurrently
            raise lanner.HTTPNotFound(description=f'There is no note {note_id}.')
        resp.media = note.to_dict()
        await self.feed.publish('note.updated', note.to_dict())

    async def on_patch(self, req: Any, resp: Any, note_id: int) -> None:
        current = self._get(note_id)
        fields = _validated(await req.get_media(), partial=True)
        note = self.store.update(
            note_id, fields.get('title', current.title), fields.get('body', current.body)
        )
        if note is None:
            raise lanner.HTTPNotFound(description=f'There is no note {note_id}.')
        resp.media = note.to_dict()
        await self.feed.publish('note.updated', note.to_dict())

    async def on_delete(self, req: Any, resp: Any, note_id: int) -> None:
        if not self.store.delete(note_id):
            raise lanner.HTTPNotFound(description=f'There is no note {note_id}.')
        resp.status = lanner.HTTP_204
        await self.feed.publish('note.deleted', {'id': note_id})


class FeedResource:
    """WebSocket live feed: receives every note event; answers "ping" with "pong".

    Each message is ``{"id": <event id>, "event": ..., "note": ...}``. Reconnect with
    ``/feed?last_id=<id of the last message received>`` (for instance after a close with 1012)
    to get exactly the missed events, in order, before live ones. A ``last_id`` that is not an
    event id is refused before the handshake completes (close code 3400; browsers see HTTP 403).
    """

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed

    async def on_websocket(self, req: Any, ws: Any) -> None:
        last_id = req.get_param('last_id')
        if last_id is not None and not self.feed.channels.is_event_id(last_id):
            raise lanner.HTTPBadRequest(
                title='Invalid last_id',
                description='last_id must be the "id" of a message this feed sent, like '
                '"1765432101234-0".',
            )
        await ws.accept()
        with self.feed.room.joined(ws, last_id=last_id):
            try:
                while True:
                    message = await ws.receive_text()
                    if message == 'ping':
                        await ws.send_text('pong')
            except lanner.WebSocketDisconnected:
                pass


class NotificationsResource:
    """Server-Sent Events; a reconnecting EventSource resumes from Last-Event-ID."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed

    async def on_get(self, req: Any, resp: Any) -> None:
        resp.sse = self.feed.broker.subscribe(last_event_id=req.last_event_id)


class IndexResource:
    async def on_get(self, req: Any, resp: Any) -> None:
        raise lanner.HTTPFound('/static/index.html')


def create_app(db_path: str = ':memory:', channels_url: str | None = None) -> lanner.asgi.App:
    """Build the example app with its own store and live feed.

    Args:
        db_path: sqlite database (``':memory:'`` or a file several workers may share).
        channels_url: ``redis://...`` to share WebSocket/SSE fan-out between processes; None or
            empty for in-memory channels.
    """
    store = NoteStore(db_path)
    feed = LiveFeed(Channels.from_url(channels_url))
    # The channels are lifespan middleware: startup starts the Redis listener, shutdown ends
    # every stream and closes the connections.
    app = lanner.asgi.App(middleware=[feed.channels])
    app.add_route('/', IndexResource())
    app.add_route('/notes', NotesResource(store, feed))
    app.add_route('/notes/{note_id:int}', NoteResource(store, feed))
    app.add_route('/feed', FeedResource(feed))
    app.add_route('/notifications', NotificationsResource(feed))
    app.add_static_route('/static', STATIC_DIR)
    return app


app = create_app(
    os.environ.get('LANNER_NOTES_DB', ':memory:'), os.environ.get('LANNER_CHANNELS_URL')
)
