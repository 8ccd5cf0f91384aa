"""The commissioning page's ChatWebSocket and EchoWebSocket run as written."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
import json
import time
from typing import Any

import pytest
from ws_driver import WSDriver


@pytest.fixture
def page() -> Any:
    import importlib

    # The page's code builds lanner.asgi.App() without router=, i.e. with lanner-routing.
    pytest.importorskip('lanner.routing', reason='the page examples use the default router')

    import page_examples

    # A fresh module per test: the example keeps state (the chat's connection set).
    return importlib.reload(page_examples)


async def test_chat_broadcasts_to_every_connection(page: Any) -> None:
    chat = page.app._router.find('/chat')[0]
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(WSDriver(page.app, '/chat')) for _ in range(3)]
        for client in clients:
            assert await client.wait_accepted()
        for _ in range(100):
            if len(chat.connections) == 3:
                break
            await asyncio.sleep(0.005)
        assert len(chat.connections) == 3

        before = time.time()
        await clients[0].send_text(json.dumps({'user': 'ann', 'message': 'hi all'}))
        for client in clients:
            message = await client.receive_json()
            assert message['user'] == 'ann' and message['message'] == 'hi all'
            assert before - 1 <= message['timestamp'] <= time.time() + 1

        # One client leaves; the others keep chatting and the set is cleaned up.
        await clients[2].disconnect()
        await clients[2].finished()
        assert len(chat.connections) == 2
        await clients[1].send_text(json.dumps({'message': 'still here'}))
        for client in clients[:2]:
            assert await client.receive_json() == {
                'user': 'Anonymous',
                'message': 'still here',
                'timestamp': pytest.approx(time.time(), abs=5),
            }
    assert len(chat.connections) == 0


async def test_chat_survives_a_client_that_vanished_mid_broadcast(page: Any) -> None:
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(WSDriver(page.app, '/chat'))
        b = await stack.enter_async_context(WSDriver(page.app, '/chat'))
        await a.wait_accepted()
        await b.wait_accepted()
        await asyncio.sleep(0.01)
        b.client_gone = True  # sends to b fail; gather(return_exceptions=True) absorbs it
        await a.send_text(json.dumps({'user': 'ann', 'message': 'x'}))
        assert (await a.receive_json())['message'] == 'x'


async def test_echo_json_and_text_fallback(page: Any, capsys: pytest.CaptureFixture[str]) -> None:
    async with WSDriver(page.app, '/echo') as client:
        await client.send_text('{"n": 1}')
        assert await client.receive_json() == {'echo': {'n': 1}, 'type': 'json'}
        await client.send_text('plain text')
        assert await client.receive_text() == 'Echo: plain text'
        await client.send_text('[1, 2]')
        assert await client.receive_json() == {'echo': [1, 2], 'type': 'json'}
        await client.disconnect()
        await client.finished()
    assert 'Client disconnected' in capsys.readouterr().out
