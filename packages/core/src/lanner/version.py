"""Version of the lanner-core distribution (also ``lanner.__version__``)."""

__version__ = '0.1.0'

FALCON_API_VERSION = '4.4.0'
"""The Falcon release whose public API lanner implements: what ``falcon.__version__`` reports
under lanner-falcon, and the version in the test client's ``falcon-client/...`` User-Agent."""

__all__ = ('FALCON_API_VERSION', '__version__')
