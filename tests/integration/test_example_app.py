"""The example application (examples/app.py): REST over sqlite3, WebSocket feed, SSE stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from support.harness import Client

pytest.importorskip('lanner.routing')
pytest.importorskip('lanner.websocket')
pytest.importorskip('lanner.sse')


@pytest.fixture
def example_app() -> Any:
    from examples.app import create_app

    return create_app(':memory:')


@pytest.fixture
def api(example_app: Any) -> Client:
    return Client(example_app)


def test_index_redirects_to_the_static_page(api: Client) -> None:
    result = api.get('/')
    assert result.status_code == 302
    assert result.headers['location'] == '/static/index.html'
    page = api.get('/static/index.html')
    assert page.status_code == 200
    assert page.headers['content-type'].startswith('text/html')
    assert b'new EventSource' in page.content and b'new WebSocket' in page.content


def test_note_lifecycle(api: Client) -> None:
    assert api.get('/notes').json == {'notes': []}

    created = api.post('/notes', json={'title': 'First', 'body': 'hello'})
    assert created.status_code == 201
    note = created.json
    assert note['title'] == 'First' and note['body'] == 'hello'
    assert created.headers['location'] == f'/notes/{note["id"]}'

    assert api.get(f'/notes/{note["id"]}').json == note
    replaced = api.put(f'/notes/{note["id"]}', json={'title': 'Renamed'})
    assert replaced.json['title'] == 'Renamed' and replaced.json['body'] == ''
    patched = api.patch(f'/notes/{note["id"]}', json={'body': 'edited'})
    assert patched.json['title'] == 'Renamed' and patched.json['body'] == 'edited'
    assert [n['id'] for n in api.get('/notes').json['notes']] == [note['id']]

    deleted = api.delete(f'/notes/{note["id"]}')
    assert deleted.status_code == 204 and deleted.content == b''
    assert api.get(f'/notes/{note["id"]}').status_code == 404
    assert api.delete(f'/notes/{note["id"]}').status_code == 404


def test_pagination_parameters_are_validated(api: Client) -> None:
    for i in range(5):
        api.post('/notes', json={'title': f'n{i}'})
    page = api.get('/notes', query_string='limit=2&offset=1').json['notes']
    assert [n['title'] for n in page] == ['n1', 'n2']
    bad = api.get('/notes', query_string='limit=0')
    assert bad.status_code == 400
    assert 'limit' in bad.json['description']
    assert api.get('/notes', query_string='limit=abc').status_code == 400


@pytest.mark.parametrize(
    ('body', 'headers', 'status'),
    [
        ('{"title": ', {'content-type': 'application/json'}, 400),  # malformed JSON
        ('', {'content-type': 'application/json'}, 400),  # empty body
        ('[1, 2]', {'content-type': 'application/json'}, 422),  # not an object
        ('{"title": ""}', {'content-type': 'application/json'}, 422),
        ('{"title": 5}', {'content-type': 'application/json'}, 422),
        ('{"title": "x", "admin": true}', {'content-type': 'application/json'}, 422),
        ('{"title": "' + 'x' * 201 + '"}', {'content-type': 'application/json'}, 422),
        ('title=x', {'content-type': 'text/csv'}, 415),
    ],
)
def test_bad_input_gets_a_clear_4xx(
    api: Client, body: str, headers: dict[str, str], status: int
) -> None:
    result = api.post('/notes', body=body, headers=headers)
    assert result.status_code == status, result.text
    assert result.json['title']
    assert api.get('/notes').json == {'notes': []}  # nothing was stored


def test_unknown_note_and_bad_ids(api: Client) -> None:
    assert api.get('/notes/999').status_code == 404
    assert api.get('/notes/abc').status_code == 404  # the int converter does not match
    assert api.request('POST', '/notes/1').status_code == 405


@pytest.mark.server
def test_feed_and_notifications_over_a_real_server(example_app: Any) -> None:
    """A WebSocket client and an SSE client both see a note created over HTTP."""
    import httpx
    from support.live_server import live_server
    import websockets

    async def scenario(base: str) -> tuple[list[Any], list[str]]:
        async with (
            websockets.connect(f'ws://{base}/feed') as ws,
            httpx.AsyncClient(base_url=f'http://{base}', timeout=5) as http,
        ):
            await ws.send('ping')
            assert await asyncio.wait_for(ws.recv(), 5) == 'pong'
            sse_lines: list[str] = []
            subscribed = asyncio.Event()

            async def read_sse() -> None:
                async with http.stream('GET', '/notifications') as stream:
                    assert stream.headers['content-type'].startswith('text/event-stream')
                    # The responder subscribed before the headers were sent: from here on, a
                    # published note reaches this stream (a fixed sleep did not ensure that on
                    # a loaded machine).
                    subscribed.set()
                    async for line in stream.aiter_lines():
                        sse_lines.append(line)
                        if line.startswith('data:'):
                            return

            reader = asyncio.create_task(read_sse())
            await asyncio.wait_for(subscribed.wait(), 5)
            created = await http.post('/notes', json={'title': 'live'})
            assert created.status_code == 201
            feed_message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            await asyncio.wait_for(reader, 5)
            return [feed_message], sse_lines

    with live_server(example_app) as base:
        feed, sse_lines = asyncio.run(scenario(base))
    assert feed[0]['event'] == 'note.created' and feed[0]['note']['title'] == 'live'
    assert 'event: note.created' in sse_lines
    data = next(line for line in sse_lines if line.startswith('data:'))
    assert json.loads(data[len('data:') :].strip())['note']['title'] == 'live'
    assert any(line.startswith('id:') for line in sse_lines)


@pytest.mark.server
def test_feed_reconnect_with_last_id_replays_the_missed_notes(example_app: Any) -> None:
    """Every feed message carries its event id; /feed?last_id= replays what came after it."""
    import httpx
    from support.live_server import live_server
    import websockets
    from websockets.exceptions import InvalidStatus

    async def scenario(base: str) -> tuple[list[Any], list[Any]]:
        async with httpx.AsyncClient(base_url=f'http://{base}', timeout=5) as http:
            async with websockets.connect(f'ws://{base}/feed') as ws:
                await ws.send('ping')  # answered once the socket is a member
                assert await asyncio.wait_for(ws.recv(), 5) == 'pong'
                for title in ('a', 'b'):
                    assert (await http.post('/notes', json={'title': title})).status_code == 201
                first = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
            # Missed while disconnected:
            for title in ('c', 'd'):
                assert (await http.post('/notes', json={'title': title})).status_code == 201
            url = f'ws://{base}/feed?last_id={first[0]["id"]}'
            async with websockets.connect(url) as ws:
                replayed = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(3)]
                assert (await http.post('/notes', json={'title': 'e'})).status_code == 201
                replayed.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
            for bad in ('nope', '1-2-3', ''):
                with pytest.raises(InvalidStatus) as denied:
                    async with websockets.connect(f'ws://{base}/feed?last_id={bad}'):
                        pass
                assert denied.value.response.status_code == 403  # 3400 before accept
            return first, replayed

    with live_server(example_app) as base:
        first, replayed = asyncio.run(scenario(base))
    assert [m['note']['title'] for m in first] == ['a', 'b']
    assert [m['note']['title'] for m in replayed] == ['b', 'c', 'd', 'e']
    ids = [m['id'] for m in first[:1] + replayed]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split('-')))) and len(set(ids)) == 5
