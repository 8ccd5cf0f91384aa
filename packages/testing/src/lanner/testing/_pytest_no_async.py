"""Stand-in for the ``lanner_conductor`` fixture when pytest-asyncio is not installed."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ('lanner_conductor',)


@pytest.fixture
def lanner_conductor(lanner_app: Any) -> Any:
    """Fails with an install hint: async fixtures need pytest-asyncio."""
    pytest.fail(
        'The lanner_conductor fixture needs pytest-asyncio to run async tests: '
        'pip install pytest-asyncio',
        pytrace=False,
    )
