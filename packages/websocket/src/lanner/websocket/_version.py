"""Version of the lanner-websocket distribution."""

__version__ = '0.1.0'
