"""The ``lanner_conductor`` fixture, registered by the pytest plugin when pytest-asyncio is
active (imported lazily so the plugin itself stays cheap)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from lanner.testing.client import ASGIConductor

__all__ = ('lanner_conductor',)


@pytest_asyncio.fixture
async def lanner_conductor(lanner_app: Any) -> AsyncIterator[ASGIConductor]:
    """An :class:`~lanner.testing.ASGIConductor` for ``lanner_app``, lifespan started."""
    async with ASGIConductor(lanner_app) as conductor:
        yield conductor
