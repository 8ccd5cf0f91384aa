"""The ``lanner_conductor`` fixture, registered by the pytest plugin when pytest-asyncio is
active. Like the plugin, it imports nothing from lanner until the fixture is used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest_asyncio

if TYPE_CHECKING:
    from lanner.testing.client import ASGIConductor

__all__ = ('lanner_conductor',)


@pytest_asyncio.fixture
async def lanner_conductor(lanner_app: Any) -> AsyncIterator[ASGIConductor]:
    """An :class:`~lanner.testing.ASGIConductor` for ``lanner_app``, lifespan started."""
    from lanner.testing.client import ASGIConductor

    async with ASGIConductor(lanner_app) as conductor:
        yield conductor
