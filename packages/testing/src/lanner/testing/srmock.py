"""``StartResponseMock``: a stand-in for a WSGI server's ``start_response`` callable."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from lanner.util.structures import CaseInsensitiveDict

__all__ = ('StartResponseMock',)

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


class StartResponseMock:
    """Records what a WSGI app passes to ``start_response``.

    Attributes:
        status: The status line of the last call (``None`` before any call).
        headers: The headers of the last call as ``(name, value)`` pairs, names lower-cased.
        headers_dict: The same headers as a case-insensitive dict.
        exc_info: The ``exc_info`` argument of the last call.
    """

    def __init__(self) -> None:
        self._called = 0
        self.status: str | None = None
        self.headers: list[tuple[str, str]] | None = None
        self.headers_dict: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        self.exc_info: _ExcInfo | None = None
        # Data passed to the legacy write() callable, in order (PEP 3333 allows it).
        self._written: list[bytes] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        self._called += 1
        self.status = status
        # Lower-case the names so assertions do not depend on how the app spelled them.
        self.headers = [(name.lower(), value) for name, value in headers]
        self.headers_dict = CaseInsensitiveDict(headers)
        self.exc_info = exc_info
        return self._write

    def _write(self, data: bytes) -> None:
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f'write() takes bytes, not {type(data).__name__}.')
        self._written.append(bytes(data))

    @property
    def call_count(self) -> int:
        """How many times ``start_response`` was called."""
        return self._called
