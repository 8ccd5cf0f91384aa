"""Version of the lanner-sse distribution."""

__version__ = '0.1.0'
