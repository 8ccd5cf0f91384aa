"""Loading optional lanner distributions (members) on first use.

Core never imports a member at import time. Every place where a Falcon name crosses a
distribution boundary (``lanner.asgi.WebSocket``, ``lanner.asgi.SSEvent``, the default router...)
goes through :func:`import_member`, so a missing member always produces the same clear error with
the exact ``pip install`` line.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType

# member subpackage -> distribution name
_DISTRIBUTIONS = {
    'routing': 'lanner-routing',
    'websocket': 'lanner-websocket',
    'sse': 'lanner-sse',
    'testing': 'lanner-testing',
}


class MissingDistributionError(ModuleNotFoundError):
    """A feature needs a lanner distribution that is not installed (or cannot be imported)."""


def _distribution_installed(dist: str) -> bool:
    # Imported lazily: importlib.metadata is slow to import and only needed on this error path.
    from importlib import metadata

    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def import_member(member: str, feature: str, module: str | None = None) -> ModuleType:
    """Import ``lanner.<member>`` (or ``lanner.<member>.<module>``) or explain what is missing.

    Args:
        member: The member subpackage name, e.g. ``'websocket'``.
        feature: What the caller was trying to use, for the error message.
        module: Optional submodule of the member to import instead of its package.

    Raises:
        MissingDistributionError: The member's distribution is absent, or installed but broken.
    """
    name = f'lanner.{member}' + (f'.{module}' if module else '')
    cached = sys.modules.get(name)
    if cached is not None:
        return cached
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in (f'lanner.{member}', name):
            # Something *inside* the member is missing (e.g. one of its own dependencies).
            raise
        dist = _DISTRIBUTIONS[member]
        if _distribution_installed(dist):
            import lanner

            raise MissingDistributionError(
                f'{feature} needs the {dist} distribution, which is installed but '
                f'{name!r} cannot be imported. This usually means a stale editable install or '
                f'a stray "lanner" directory shadowing lanner-core (lanner.__path__ is '
                f'{list(lanner.__path__)!r}). Reinstall {dist} '
                f'(pip install --force-reinstall {dist}).',
                name=name,
            ) from exc
        raise MissingDistributionError(
            f'{feature} needs the {dist} distribution, which is not installed. '
            f'Install it with: pip install {dist}   (or pip install lanner for everything)',
            name=name,
        ) from exc


def member_available(member: str) -> bool:
    """Whether ``lanner.<member>`` can be found, without importing it."""
    if f'lanner.{member}' in sys.modules:
        return True
    return importlib.util.find_spec(f'lanner.{member}') is not None
