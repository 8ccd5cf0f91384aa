"""The shared live-server helper (tests/support/live_server.py), re-exported for these tests."""

from support.live_server import live_server

__all__ = ['live_server']
