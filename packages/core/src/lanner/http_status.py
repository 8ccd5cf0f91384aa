"""``HTTPStatus``: end request processing early with a given status, headers and text."""

from __future__ import annotations

import http
from typing import Any

from lanner.util.misc import http_status_to_code

__all__ = ('HTTPStatus',)


class HTTPStatus(Exception):
    """Raise to short-circuit processing with this status (no error serializer involved).

    The App's default handler sets ``resp.status``, applies ``headers`` with
    ``resp.set_headers`` and sets ``resp.text = text`` (``None`` means no body).

    Args:
        status: Status line, int, bytes or ``http.HTTPStatus``.
        headers: Response headers, a dict or a list of ``(name, value)`` pairs.
        text: Response body text.

    Attributes:
        status: The status exactly as given.
        headers: The headers, or ``None``.
        text: The body text, or ``None``.
    """

    __slots__ = ('headers', 'status', 'text')

    status: str | int | bytes | http.HTTPStatus
    headers: Any
    text: str | None

    def __init__(
        self,
        status: str | int | bytes | http.HTTPStatus,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        text: str | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.text = text

    @property
    def status_code(self) -> int:
        """The status as an int."""
        return http_status_to_code(self.status)

    def __repr__(self) -> str:
        return f'<{type(self).__name__}: {self.status!s}>'

    __str__ = __repr__
