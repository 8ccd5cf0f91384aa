"""The commissioning page's idiom: ``resp.stream`` yielding ``event.serialize().encode()``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from support.harness import build_scope, call_asgi_async, new_app

from lanner.sse import SSEvent


def _app(closed: list[str], sent_events: list[int]) -> Any:
    class EventStream:
        async def on_get(self, req: Any, resp: Any) -> None:
            async def events() -> AsyncIterator[bytes]:
                n = 0
                try:
                    while True:  # endless, as on the page
                        n += 1
                        sent_events.append(n)
                        yield SSEvent(data=f'tick {n}', event_id=str(n)).serialize().encode('utf-8')
                        await asyncio.sleep(0.01)
                finally:
                    closed.append('finally')

            resp.content_type = 'text/event-stream'
            resp.stream = events()

    app = new_app(asgi=True)
    app.add_route('/events', EventStream())
    return app


def test_endless_event_stream_stops_when_the_client_leaves() -> None:
    closed: list[str] = []
    produced: list[int] = []
    app = _app(closed, produced)
    bodies: list[bytes] = []

    async def scenario() -> None:
        gone = asyncio.Event()
        first = True

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {'type': 'http.request', 'body': b'', 'more_body': False}
            await gone.wait()
            return {'type': 'http.disconnect'}

        async def send(message: dict[str, Any]) -> None:
            if message['type'] == 'http.response.body':
                bodies.append(message.get('body', b''))
                if len(bodies) == 3:
                    gone.set()  # the client goes away after three events

        await asyncio.wait_for(app(build_scope('GET', '/events'), receive, send), timeout=5)

    asyncio.run(scenario())
    assert closed == ['finally']  # the generator was closed, its finally ran
    assert len(produced) < 10  # and it did not keep producing for nobody
    assert bodies[0].startswith(b'id: 1\ndata: tick 1\n\n')


def test_head_on_an_sse_route_sends_no_content_length() -> None:
    class Events:
        async def on_get(self, req: Any, resp: Any) -> None:
            async def emitter() -> AsyncIterator[SSEvent]:
                yield SSEvent(data=b'x')  # pragma: no cover - HEAD never iterates

            resp.sse = emitter()

        on_head = on_get

    app = new_app(asgi=True)
    app.add_route('/e', Events())
    result = asyncio.run(call_asgi_async(app, build_scope('HEAD', '/e')))
    assert result.status_code == 200
    assert 'content-length' not in result.headers
    assert result.headers['content-type'].startswith('text/event-stream')
    assert result.content == b''
