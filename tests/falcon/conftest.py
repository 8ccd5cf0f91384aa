"""Fixtures for driving lanner apps through Falcon add-ons: real HTTP clients, both flavours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

Send = Callable[..., Any]


@pytest.fixture
def send(asgi: bool) -> Send:
    """``await send(app, method, path, **httpx_kwargs)`` through the app's own protocol."""

    async def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
        transport: Any
        if asgi:
            transport = httpx.ASGITransport(app=app, client=('127.0.0.1', 50000))
            async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1') as c:
                return await c.request(method, path, **kwargs)
        transport = httpx.WSGITransport(app=app)
        with httpx.Client(transport=transport, base_url='http://127.0.0.1') as client:
            return client.request(method, path, **kwargs)  # noqa: ASYNC212 (WSGI is sync)

    return call
