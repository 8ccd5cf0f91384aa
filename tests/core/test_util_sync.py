"""Sync/async adapters."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest

import lanner
from lanner.util import sync
from lanner.util.deprecation import DeprecatedWarning

request_id: contextvars.ContextVar[str] = contextvars.ContextVar('request_id', default='none')


def test_exported_from_lanner() -> None:
    for name in sync.__all__:
        assert getattr(lanner, name) is getattr(sync, name)


async def test_sync_to_async_runs_in_a_worker_thread_with_context() -> None:
    request_id.set('r1')
    loop_thread = threading.get_ident()

    def work(a: int, *, b: int) -> tuple[int, int, str]:
        return a + b, threading.get_ident(), request_id.get()

    total, thread, seen = await sync.sync_to_async(work, 1, b=2)
    assert total == 3
    assert thread != loop_thread
    assert seen == 'r1'


async def test_wrap_sync_to_async_default_executor() -> None:
    def work(x: int) -> int:
        """Doc."""
        return x + 1

    wrapped = sync.wrap_sync_to_async(work)
    assert asyncio.iscoroutinefunction(wrapped)
    assert wrapped.__name__ == 'work' and wrapped.__doc__ == 'Doc.'
    assert await wrapped(1) == 2


async def test_wrap_sync_to_async_not_threadsafe_uses_one_thread() -> None:
    def ident() -> int:
        return threading.get_ident()

    wrapped = sync.wrap_sync_to_async(ident, threadsafe=False)
    threads = set(await asyncio.gather(*(wrapped() for _ in range(8))))
    assert len(threads) == 1
    assert threads != {threading.get_ident()}


async def test_wrap_sync_to_async_unsafe_runs_inline() -> None:
    wrapped = sync.wrap_sync_to_async_unsafe(threading.get_ident)
    assert asyncio.iscoroutinefunction(wrapped)
    assert await wrapped() == threading.get_ident()


def test_async_to_sync_and_reuses_the_loop() -> None:
    async def add(a: int, b: int = 0) -> tuple[int, Any]:
        await asyncio.sleep(0)
        return a + b, asyncio.get_running_loop()

    first, loop1 = sync.async_to_sync(add, 1, b=2)
    second, loop2 = sync.async_to_sync(add, 5)
    assert (first, second) == (3, 5)
    assert loop1 is loop2


def test_async_to_sync_propagates_exceptions() -> None:
    async def fail() -> None:
        raise KeyError('boom')

    with pytest.raises(KeyError):
        sync.async_to_sync(fail)


def test_async_to_sync_works_from_other_threads() -> None:
    async def value() -> int:
        return 7

    results: list[int] = []
    thread = threading.Thread(target=lambda: results.append(sync.async_to_sync(value)))
    thread.start()
    thread.join()
    assert results == [7]


async def test_async_to_sync_inside_running_loop_raises() -> None:
    async def value() -> int:
        return 1

    coroutine_function: Any = value
    with pytest.raises(RuntimeError, match='running event loop'):
        sync.async_to_sync(coroutine_function)


def test_runs_sync() -> None:
    @sync.runs_sync
    async def double(x: int) -> int:
        """Doubles."""
        return x * 2

    assert double(21) == 42
    assert double.__name__ == 'double'


async def test_deprecated_asyncio_aliases() -> None:
    # Falcon's wording, which code may match on.
    with pytest.warns(DeprecatedWarning, match=r'deprecated function get_running_loop\('):
        loop = sync.get_running_loop()
    assert loop is asyncio.get_running_loop()

    async def value() -> int:
        return 3

    with pytest.warns(DeprecatedWarning, match=r'deprecated function create_task\('):
        task = sync.create_task(value())
    assert await task == 3


async def test_wrap_non_coroutine_escape_hatch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv('FALCON_ASGI_WRAP_NON_COROUTINES', raising=False)
    assert not sync._should_wrap_non_coroutines()
    monkeypatch.setenv('FALCON_ASGI_WRAP_NON_COROUTINES', 'Y')
    assert sync._should_wrap_non_coroutines()

    async def already() -> None:
        pass

    assert sync._wrap_non_coroutine_unsafe(already) is already
    assert sync._wrap_non_coroutine_unsafe(None) is None
    wrapped = sync._wrap_non_coroutine_unsafe(lambda: 'inline')
    assert wrapped is not None and await wrapped() == 'inline'
