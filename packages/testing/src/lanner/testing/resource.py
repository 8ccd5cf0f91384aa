"""Ready-made resources and hooks for tests: ``SimpleTestResource`` and friends.

The hooks have the signature of ``lanner.before`` actions, so they can decorate your own
responders too: ``@lanner.before(capture_responder_args)``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = (
    'SimpleTestResource',
    'SimpleTestResourceAsync',
    'capture_responder_args',
    'capture_responder_args_async',
    'set_resp_defaults',
    'set_resp_defaults_async',
)


def _reset_captures(req: Any, resp: Any, resource: Any, params: dict[str, Any]) -> Any:
    resource.captured_req = req
    resource.captured_resp = resp
    resource.captured_kwargs = params
    resource.captured_req_media = None
    resource.captured_req_body = None
    return req.get_header('capture-req-body-bytes')


def _byte_count(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f'The capture-req-body-bytes header must be an integer, got {value!r}.'
        ) from None


def capture_responder_args(req: Any, resp: Any, resource: Any, params: dict[str, Any]) -> None:
    """Before-hook storing the responder's arguments on the resource.

    Sets ``captured_req``, ``captured_resp`` and ``captured_kwargs``. A request header
    ``capture-req-body-bytes: N`` also stores the first N body bytes in ``captured_req_body``;
    a header ``capture-req-media`` stores ``req.get_media()`` in ``captured_req_media``.
    """
    num_bytes = _reset_captures(req, resp, resource, params)
    if num_bytes:
        resource.captured_req_body = req.stream.read(_byte_count(num_bytes))
    elif req.get_header('capture-req-media'):
        resource.captured_req_media = req.get_media()


async def capture_responder_args_async(
    req: Any, resp: Any, resource: Any, params: dict[str, Any]
) -> None:
    """The async version of :func:`capture_responder_args`, for ASGI responders."""
    num_bytes = _reset_captures(req, resp, resource, params)
    if num_bytes:
        resource.captured_req_body = await req.stream.read(_byte_count(num_bytes))
    elif req.get_header('capture-req-media'):
        resource.captured_req_media = await req.get_media()


def set_resp_defaults(req: Any, resp: Any, resource: Any, params: dict[str, Any]) -> None:
    """Before-hook applying the resource's default status, body and headers to ``resp``."""
    if resource._default_status is not None:
        resp.status = resource._default_status
    if resource._default_body is not None:
        resp.text = resource._default_body
    if resource._default_headers is not None:
        resp.set_headers(resource._default_headers)


async def set_resp_defaults_async(
    req: Any, resp: Any, resource: Any, params: dict[str, Any]
) -> None:
    """The async version of :func:`set_resp_defaults`, for ASGI responders."""
    set_resp_defaults(req, resp, resource, params)


class SimpleTestResource:
    """A resource answering GET and POST with fixed data and recording what it received.

    Args:
        status: Response status (default: the framework's, ``200 OK``).
        body: Response text (mutually exclusive with ``json``).
        json: An object serialised as the response body.
        headers: Extra response headers.

    Attributes:
        captured_req: The last request.
        captured_resp: The last response.
        captured_kwargs: The URI template fields of the last request.
        captured_req_media: The parsed body, when the request had ``capture-req-media``.
        captured_req_body: Body bytes, when the request had ``capture-req-body-bytes: N``.
    """

    def __init__(
        self,
        status: str | int | None = None,
        body: str | None = None,
        json: Any = None,
        headers: Any = None,
    ) -> None:
        self._default_status = status
        self._default_headers = headers
        if json is not None:
            if body is not None:
                raise ValueError('Either json or body may be specified, but not both')
            self._default_body: str | None = _dumps(json)
        else:
            self._default_body = body
        self.captured_req: Any = None
        self.captured_resp: Any = None
        self.captured_kwargs: Any = None
        self.captured_req_media: Any = None
        self.captured_req_body: Any = None

    @property
    def called(self) -> bool:
        """Whether a responder has been called."""
        return self.captured_req is not None

    # Same order as @before(capture_responder_args) over @before(set_resp_defaults).
    def on_get(self, req: Any, resp: Any, **kwargs: Any) -> None:
        capture_responder_args(req, resp, self, kwargs)
        set_resp_defaults(req, resp, self, kwargs)

    def on_post(self, req: Any, resp: Any, **kwargs: Any) -> None:
        capture_responder_args(req, resp, self, kwargs)
        set_resp_defaults(req, resp, self, kwargs)


class SimpleTestResourceAsync(SimpleTestResource):
    """:class:`SimpleTestResource` with coroutine responders, for ASGI apps."""

    async def on_get(self, req: Any, resp: Any, **kwargs: Any) -> None:  # type: ignore[override]
        await capture_responder_args_async(req, resp, self, kwargs)
        await set_resp_defaults_async(req, resp, self, kwargs)

    async def on_post(self, req: Any, resp: Any, **kwargs: Any) -> None:  # type: ignore[override]
        await capture_responder_args_async(req, resp, self, kwargs)
        await set_resp_defaults_async(req, resp, self, kwargs)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
