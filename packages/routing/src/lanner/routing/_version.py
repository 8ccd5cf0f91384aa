"""Version of the lanner-routing distribution."""

__version__ = '0.1.0'
