"""pytest plugin for lanner apps (entry point ``pytest11``: ``lanner``).

Kept import-cheap: nothing from lanner is imported until a fixture is used.
"""

from __future__ import annotations
