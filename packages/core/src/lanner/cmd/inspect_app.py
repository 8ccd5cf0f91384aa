"""``lanner-inspect-app``, as Falcon's ``falcon.cmd.inspect_app``; see :mod:`lanner.cli`."""

from __future__ import annotations

from lanner.cli import inspect_app_main as main
from lanner.cli import load_app, make_parser, route_main

__all__ = ('load_app', 'main', 'make_parser', 'route_main')
