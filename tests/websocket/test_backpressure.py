"""The read-ahead pump: bounded buffering, backpressure, disconnect detection and cleanup."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ws_driver import WSDriver

from lanner.errors import WebSocketDisconnected


class Controlled:
    """on_websocket accepts, then runs the test's coroutine function ``body(ws)``."""

    def __init__(self, body: Any) -> None:
        self.body = body
        self.ws: Any = None
        self.error: BaseException | None = None
        self.result: Any = None
        self.started = asyncio.Event()

    async def on_websocket(self, req: Any, ws: Any) -> None:
        self.ws = ws
        await ws.accept()
        self.started.set()
        try:
            self.result = await self.body(ws)
        except BaseException as ex:
            self.error = ex
            raise


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.mark.parametrize('limit', [1, 4, 9])
async def test_read_ahead_is_bounded_by_max_receive_queue(make_ws_app: Any, limit: int) -> None:
    app = make_ws_app()
    app.ws_options.max_receive_queue = limit
    go = asyncio.Event()
    done = asyncio.Event()

    async def body(ws: Any) -> list[str]:
        await go.wait()
        got = [await ws.receive_text() for _ in range(3)]
        await done.wait()
        return got

    res = Controlled(body)
    app.add_route('/', res)
    async with WSDriver(app, '/') as client:
        await res.started.wait()
        for i in range(30):
            client.push({'type': 'websocket.receive', 'text': str(i)})
        await settle()
        # One receive() for websocket.connect, then exactly `limit` read ahead: the pump stops
        # asking the server for more, which is what makes the server apply backpressure.
        assert client.receive_calls == 1 + limit
        go.set()
        await settle()
        # Each message the app took made room for exactly one more.
        assert client.receive_calls == 1 + limit + 3
        done.set()
    assert res.result == ['0', '1', '2']


async def test_max_receive_queue_zero_reads_only_on_demand(make_ws_app: Any) -> None:
    app = make_ws_app()
    app.ws_options.max_receive_queue = 0
    go = asyncio.Event()

    async def body(ws: Any) -> str:
        await go.wait()
        return str(await ws.receive_text())

    res = Controlled(body)
    app.add_route('/', res)
    async with WSDriver(app, '/') as client:
        await res.started.wait()
        for i in range(5):
            client.push({'type': 'websocket.receive', 'text': str(i)})
        await settle()
        assert client.receive_calls == 1
        go.set()
        await settle()
        assert client.receive_calls == 2
    assert res.result == '0'


async def test_disconnect_detected_while_blocked_in_send(ws_app: Any) -> None:
    async def body(ws: Any) -> None:
        await ws.send_text('this send never completes')

    res = Controlled(body)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        client.send_gate.clear()  # the network is stuck: the server's send blocks
        await res.started.wait()
        await settle()
        assert res.error is None and not res.ws.closed
        # The client's close arrives; the server would not fail the stuck send by itself.
        client.push({'type': 'websocket.disconnect', 'code': 1001})
        await client.finished()
    assert isinstance(res.error, WebSocketDisconnected)
    assert res.error.code == 1001
    assert client.close_event is None


async def test_disconnect_detected_by_a_send_only_handler(ws_app: Any) -> None:
    sent: list[int] = []

    async def body(ws: Any) -> None:
        for i in range(1000):
            await ws.send_text(str(i))
            sent.append(i)
            await asyncio.sleep(0.001)

    res = Controlled(body)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.receive_text()
        # Only the pump can see this: the fake server keeps accepting sends.
        client.push({'type': 'websocket.disconnect', 'code': 1000})
        await client.finished()
    assert isinstance(res.error, WebSocketDisconnected)
    assert len(sent) < 1000


async def test_disconnect_detected_while_blocked_in_receive(ws_app: Any) -> None:
    async def body(ws: Any) -> None:
        await ws.receive_data()

    res = Controlled(body)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await res.started.wait()
        await settle()
        await client.disconnect(4001)
        await client.finished()
    assert isinstance(res.error, WebSocketDisconnected) and res.error.code == 4001


async def test_app_close_wakes_a_concurrent_receiver(ws_app: Any) -> None:
    async def body(ws: Any) -> str:
        async def closer() -> None:
            await asyncio.sleep(0.01)
            await ws.close(4002)

        task = asyncio.ensure_future(closer())
        try:
            await ws.receive_text()
        except WebSocketDisconnected as ex:
            await task
            return f'woken with {ex.code}'
        return 'not woken'

    res = Controlled(body)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert res.result == 'woken with 4002'
    assert client.close_code == 4002


async def test_timed_out_receive_loses_no_message(ws_app: Any) -> None:
    async def body(ws: Any) -> list[str]:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.receive_text(), 0.02)
        return [await ws.receive_text(), await ws.receive_text()]

    res = Controlled(body)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await res.started.wait()
        await asyncio.sleep(0.05)
        await client.send_text('a')
        await client.send_text('b')
        await client.wait_closed()
    assert res.result == ['a', 'b']


async def test_cancelled_send_stays_a_cancellation(ws_app: Any) -> None:
    async def body(ws: Any) -> str:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ws.send_text('slow'), 0.02)
        assert ws.ready
        return 'still open'

    res = Controlled(body)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        client.send_gate.clear()
        await client.wait_closed()
    assert res.result == 'still open'


async def test_two_concurrent_receivers_share_messages(ws_app: Any) -> None:
    async def body(ws: Any) -> list[str]:
        results = await asyncio.gather(ws.receive_text(), ws.receive_text())
        return sorted(results)

    res = Controlled(body)
    ws_app.add_route('/', res)
    async with WSDriver(ws_app, '/') as client:
        await res.started.wait()
        await settle()
        await client.send_text('x')
        await client.send_text('y')
        await client.wait_closed()
    assert res.result == ['x', 'y']


async def test_no_task_outlives_the_connection(ws_app: Any) -> None:
    async def body(ws: Any) -> None:
        await ws.receive_text()

    res = Controlled(body)
    ws_app.add_route('/', res)
    before = asyncio.all_tasks()
    async with WSDriver(ws_app, '/') as client:
        await res.started.wait()
        await client.send_text('done')
        await client.wait_closed()
    await settle()
    assert asyncio.all_tasks() == before


async def test_pump_is_cancelled_when_the_server_cancels_the_app(ws_app: Any) -> None:
    async def body(ws: Any) -> None:
        await asyncio.sleep(10)

    res = Controlled(body)
    ws_app.add_route('/', res)
    before = asyncio.all_tasks()
    driver = WSDriver(ws_app, '/')
    await driver.__aenter__()
    await res.started.wait()
    await settle()
    assert len(asyncio.all_tasks()) == len(before) + 2  # the app task and its pump
    assert driver.task is not None
    driver.task.cancel()  # e.g. the server shuts down
    with pytest.raises(asyncio.CancelledError):
        await driver.task
    await settle()
    assert asyncio.all_tasks() == before
