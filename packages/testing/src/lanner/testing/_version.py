"""Version of the lanner-testing distribution."""

__version__ = '0.1.0'
