"""Running the async simulation machinery from synchronous test code.

``simulate_request()`` and ``TestClient`` are synchronous, but simulating an ASGI app needs an
event loop. The main thread keeps one private loop and reuses it for every call, so objects an
app creates on its loop (locks, queues, client sessions opened at startup) stay usable from one
simulated request to the next. The loop is never installed as the thread's current loop, so it
does not interfere with pytest-asyncio or ``asyncio.run()``. Other threads get a fresh loop per
call (a per-thread loop would never be closed when the thread ends).

When a synchronous helper is called while a loop is already running in this thread (for
example ``simulate_get()`` inside an ``async def`` test), blocking that loop would deadlock, so
the coroutine runs to completion on a short-lived worker thread with its own loop instead.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Callable, Coroutine
import concurrent.futures
import threading
from typing import Any, TypeVar

__all__ = ('run_coroutine',)

_T = TypeVar('_T')

_main_loop: asyncio.AbstractEventLoop | None = None


def _get_main_loop() -> asyncio.AbstractEventLoop:
    global _main_loop
    if _main_loop is None or _main_loop.is_closed():
        _main_loop = asyncio.new_event_loop()
        # Closing it at exit avoids an "unclosed event loop" ResourceWarning.
        atexit.register(_close_loop, _main_loop)
    return _main_loop


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    if loop.is_closed():
        return
    try:
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run the coroutine ``factory()`` creates to completion and return its result.

    Args:
        factory: A zero-argument callable returning the coroutine. A factory (rather than a
            coroutine object) lets the coroutine be created on whichever thread runs it.

    Returns:
        What the coroutine returned (its exception propagates).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix='lanner-testing'
        ) as pool:
            return pool.submit(lambda: asyncio.run(factory())).result()

    if threading.current_thread() is not threading.main_thread():
        # Threads come and go (thread pools, xdist workers); a per-thread loop kept alive in
        # a thread-local would never be closed, so other threads get a fresh loop per call.
        return asyncio.run(factory())
    return _get_main_loop().run_until_complete(factory())
