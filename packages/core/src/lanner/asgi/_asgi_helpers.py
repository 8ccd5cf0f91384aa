"""Falcon's ``falcon.asgi._asgi_helpers`` path, for code written against it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import inspect
from typing import Any

__all__ = ('_wrap_asgi_coroutine_func',)


def _wrap_asgi_coroutine_func(
    asgi_impl: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """Make an ASGI ``__call__`` that returns an awaitable look like a coroutine function.

    Servers tell ASGI 3 apps from ASGI 2 (double-callable) ones by whether ``__call__`` is a
    coroutine function; an implementation that only *returns* an awaitable is wrapped in one.
    A coroutine function is returned unchanged.
    """
    if inspect.iscoroutinefunction(asgi_impl):
        return asgi_impl

    async def __call__(self: Any, scope: Any, receive: Any, send: Any) -> Any:
        return await asgi_impl(self, scope, receive, send)

    return __call__
