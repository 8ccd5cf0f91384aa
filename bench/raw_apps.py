"""Hand-written raw ASGI and WSGI callables: the floor a framework can approach.

``python bench/worker.py raw SECONDS`` times them with the same harness as the frameworks. Only
the ``hello`` scenario is written out (the same status, headers and body as the frameworks'):
it shows how much of a request's cost is the harness and the protocol itself.
"""

from __future__ import annotations

from typing import Any

_BODY = b'Hello, World!'


async def hello_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send(
        {
            'type': 'http.response.start',
            'status': 200,
            'headers': [
                (b'content-type', b'text/plain; charset=utf-8'),
                (b'content-length', str(len(_BODY)).encode()),
            ],
        }
    )
    await send({'type': 'http.response.body', 'body': _BODY})


def hello_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response(
        '200 OK',
        [('content-type', 'text/plain; charset=utf-8'), ('content-length', str(len(_BODY)))],
    )
    return [_BODY]


def build(fw: Any, asgi: bool) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Same shape as ``scenarios.build`` (``fw`` is unused)."""
    return {'hello': (hello_asgi if asgi else hello_wsgi, {'method': 'GET', 'path': '/hello'})}
