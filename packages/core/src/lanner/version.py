"""Version of the lanner-core distribution (also ``lanner.__version__``)."""

__version__ = '0.1.0'
