"""Type aliases that Falcon keeps in ``falcon._typing`` (private there too).

Only what ported code and Falcon's own test-suite import from that module is provided, so that
``import lanner as falcon`` does not break at import time. Public typing helpers live in
:mod:`lanner.typing`.
"""

from __future__ import annotations

Resource = object
"""A resource is any object with ``on_<method>`` responders; no base class is required."""

__all__ = ('Resource',)
