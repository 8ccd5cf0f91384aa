"""Adapters between synchronous and asynchronous code.

This module imports :mod:`asyncio`, so nothing imported by ``import lanner`` may import it;
``lanner.util`` and ``lanner`` load these names lazily.
"""

from __future__ import annotations

import asyncio
import atexit
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
import contextvars
import functools
import os
import sys
import threading
from typing import Any, ParamSpec, TypeVar
import warnings

from lanner.util.deprecation import DeprecatedWarning

__all__ = (
    'async_to_sync',
    'create_task',
    'get_running_loop',
    'runs_sync',
    'sync_to_async',
    'wrap_sync_to_async',
    'wrap_sync_to_async_unsafe',
)

_P = ParamSpec('_P')
_T = TypeVar('_T')


async def sync_to_async(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run ``func(*args, **kwargs)`` in the running loop's default executor and await it.

    Context variables are copied into the worker thread.

    Args:
        func: The blocking callable.
        *args: Positional arguments for ``func``.
        **kwargs: Keyword arguments for ``func``.

    Returns:
        Whatever ``func`` returns.
    """
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(None, call)


_single_thread_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _get_single_thread_executor() -> ThreadPoolExecutor:
    global _single_thread_executor
    with _executor_lock:
        if _single_thread_executor is None:
            _single_thread_executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix='lanner-sync'
            )
        return _single_thread_executor


def wrap_sync_to_async(
    func: Callable[_P, _T], threadsafe: bool | None = None
) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """Wrap a blocking callable in a coroutine function that runs it in an executor.

    Args:
        func: The blocking callable.
        threadsafe: ``False`` runs every call on one shared single-thread executor (for code
            that must not run concurrently); otherwise the loop's default executor is used.

    Returns:
        A coroutine function with the same parameters.
    """
    use_single_thread = threadsafe is False

    @functools.wraps(func)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        executor = _get_single_thread_executor() if use_single_thread else None
        call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(executor, call)

    return wrapper


def wrap_sync_to_async_unsafe(func: Callable[_P, _T]) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """Wrap a callable in a coroutine function that calls it inline, on the event loop thread.

    Only for callables that never block: a blocking call stalls every other request.

    Args:
        func: The callable.

    Returns:
        A coroutine function with the same parameters.
    """

    @functools.wraps(func)
    async def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return func(*args, **kwargs)

    return wrapper


class _RunnerHolder:
    """Owns one thread's event-loop runner and closes it when the thread's state goes away."""

    def __init__(self) -> None:
        self.runner: Any
        if sys.version_info >= (3, 11):
            self.runner = asyncio.Runner()
        else:  # pragma: no cover - Python 3.10
            self.runner = _LoopRunner()

    def close(self) -> None:
        try:
            self.runner.close()
        except Exception:
            # Best effort during thread or interpreter teardown (e.g. a loop still running).
            pass

    def __del__(self) -> None:
        self.close()


class _LoopRunner:  # pragma: no cover - used on Python 3.10 only
    """Minimal stand-in for ``asyncio.Runner``: one reusable loop per thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()

    def run(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()


# One runner per thread: a Runner (and its loop) must only be driven from one thread.
_thread_state = threading.local()


def _get_runner() -> Any:
    holder: _RunnerHolder | None = getattr(_thread_state, 'holder', None)
    if holder is None:
        holder = _thread_state.holder = _RunnerHolder()
    return holder.runner


@atexit.register
def _close_main_thread_runner() -> None:
    holder: _RunnerHolder | None = getattr(_thread_state, 'holder', None)
    if holder is not None:
        holder.close()


def async_to_sync(coroutine: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
    """Run ``coroutine(*args, **kwargs)`` to completion from synchronous code.

    Each thread reuses one event loop (an ``asyncio.Runner`` on Python 3.11+), so loop-bound
    resources created by one call remain usable in the next.

    Args:
        coroutine: A coroutine function.
        *args: Positional arguments for it.
        **kwargs: Keyword arguments for it.

    Returns:
        The coroutine's result.

    Raises:
        RuntimeError: Called from a thread that is already running an event loop (await the
            coroutine there instead).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            'async_to_sync() cannot be called from a running event loop; '
            'await the coroutine directly instead.'
        )

    async def call() -> _T:
        return await coroutine(*args, **kwargs)

    result: _T = _get_runner().run(call())
    return result


def runs_sync(coroutine: Callable[_P, Awaitable[_T]]) -> Callable[_P, _T]:
    """Decorate a coroutine function so that calling it runs it to completion synchronously.

    Args:
        coroutine: The coroutine function.

    Returns:
        A regular function with the same parameters that returns the coroutine's result.
    """

    @functools.wraps(coroutine)
    def invoke(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        return async_to_sync(coroutine, *args, **kwargs)

    return invoke


def create_task(coro: Coroutine[Any, Any, _T], name: str | None = None) -> asyncio.Task[_T]:
    """Deprecated alias of :func:`asyncio.create_task`."""
    warnings.warn(
        # Falcon's wording (the decorator's), which code may match on.
        'Call to deprecated function create_task(...). Use asyncio.create_task() instead.',
        DeprecatedWarning,
        stacklevel=2,
    )
    return asyncio.create_task(coro, name=name)


def get_running_loop() -> asyncio.AbstractEventLoop:
    """Deprecated alias of :func:`asyncio.get_running_loop`."""
    warnings.warn(
        'Call to deprecated function get_running_loop(...). Use asyncio.get_running_loop() '
        'instead.',
        DeprecatedWarning,
        stacklevel=2,
    )
    return asyncio.get_running_loop()


def _should_wrap_non_coroutines() -> bool:
    """Whether the test-only ``FALCON_ASGI_WRAP_NON_COROUTINES`` escape hatch is on."""
    return 'FALCON_ASGI_WRAP_NON_COROUTINES' in os.environ


def _wrap_non_coroutine_unsafe(func: Callable[..., Any] | None) -> Callable[..., Any] | None:
    """Wrap a sync callable to run inline (test-only escape hatch); pass coroutines through."""
    if func is None or asyncio.iscoroutinefunction(func):
        return func
    return wrap_sync_to_async_unsafe(func)
