"""Build hook: ship ``lanner-falcon.pth`` at the root of site-packages, editable installs too."""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class AliasStartupHook(BuildHookInterface):  # type: ignore[misc]
    """Adds the startup file that installs the ``falcon`` alias."""

    PLUGIN_NAME = 'custom'

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        key = 'force_include_editable' if version == 'editable' else 'force_include'
        build_data.setdefault(key, {})['lanner-falcon.pth'] = 'lanner-falcon.pth'
