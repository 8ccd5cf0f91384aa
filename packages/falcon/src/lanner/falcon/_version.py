"""Version of the lanner-falcon distribution."""

__version__ = '0.1.0'
