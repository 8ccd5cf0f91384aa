"""Version of the lanner-channels distribution."""

__version__ = '0.1.0'
