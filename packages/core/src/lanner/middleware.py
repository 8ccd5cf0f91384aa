"""Built-in middleware: :class:`CORSMiddleware`.

Cross-Origin Resource Sharing, decided per response in ``process_response`` (so it also applies
to error responses and to the default OPTIONS responder). ``lanner.App(cors_enable=True)`` adds a
default instance (any origin, no credentials).

``Vary: Origin`` (a lanner addition to Falcon's behaviour): whenever the policy's answer depends
on the request's ``Origin`` (a list of origins, or credentials), every response that passes
through the middleware carries ``Vary: Origin`` so that shared caches never serve one origin's
CORS headers to another origin.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ('CORSMiddleware',)

_MAX_AGE = '86400'


def _as_origins(value: str | Iterable[str], what: str) -> frozenset[str]:
    origins = [value] if isinstance(value, str) else list(value)
    for origin in origins:
        if not isinstance(origin, str):
            raise TypeError(f'{what} must contain strings, got {origin!r}')
        if origin == '*':
            raise ValueError(
                f"The wildcard '*' may only be passed to {what} as a string on its own, not "
                'inside a list: pass the string to allow every origin, or list the exact origins.'
            )
    return frozenset(origins)


def _echoable(value: str) -> bool:
    # Request header values are echoed into response headers only when they cannot break them.
    return value.isascii() and value.isprintable()


class CORSMiddleware:
    """Add CORS headers to responses and answer preflight requests.

    Works with both ``lanner.App`` and ``lanner.asgi.App`` (``process_response`` and
    ``process_response_async``).

    Args:
        allow_origins: ``'*'`` for any origin, or one exact origin or an iterable of exact
            origins (e.g. ``'https://example.com'``; compared case-sensitively).
        expose_headers: Response header names the browser may expose to scripts (a string or
            an iterable of names; sent as ``Access-Control-Expose-Headers``).
        allow_credentials: Origins allowed to send credentials: None (none), ``'*'`` (every
            allowed origin), or one origin or an iterable of origins.
        allow_private_network: Answer Private Network Access preflights
            (``Access-Control-Request-Private-Network: true``) with
            ``Access-Control-Allow-Private-Network: true``.

    Raises:
        ValueError: ``'*'`` appears inside an iterable of origins.
    """

    __slots__ = (
        '_allow_all',
        '_allow_origins',
        '_credentials_all',
        '_credentials_origins',
        '_expose_headers',
        '_private_network',
        '_varies',
        'allow_credentials',
        'allow_origins',
        'allow_private_network',
        'expose_headers',
    )

    def __init__(
        self,
        allow_origins: str | Iterable[str] = '*',
        expose_headers: str | Iterable[str] | None = None,
        allow_credentials: str | Iterable[str] | None = None,
        allow_private_network: bool = False,
    ) -> None:
        self._allow_all = allow_origins == '*'
        self._allow_origins = (
            frozenset() if self._allow_all else _as_origins(allow_origins, 'allow_origins')
        )
        if expose_headers is None:
            self._expose_headers: str | None = None
        elif isinstance(expose_headers, str):
            self._expose_headers = expose_headers
        else:
            self._expose_headers = ', '.join(expose_headers)

        self._credentials_all = allow_credentials == '*'
        if allow_credentials is None or self._credentials_all:
            self._credentials_origins: frozenset[str] = frozenset()
        else:
            self._credentials_origins = _as_origins(allow_credentials, 'allow_credentials')
        self._private_network = bool(allow_private_network)
        # The answer depends on the Origin value itself (not only on its presence).
        self._varies = not self._allow_all or allow_credentials is not None

        self.allow_origins = allow_origins
        self.expose_headers = expose_headers
        self.allow_credentials = allow_credentials
        self.allow_private_network = allow_private_network

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(allow_origins={self.allow_origins!r}, '
            f'expose_headers={self.expose_headers!r}, '
            f'allow_credentials={self.allow_credentials!r}, '
            f'allow_private_network={self.allow_private_network!r})'
        )

    def process_response(self, req: Any, resp: Any, resource: object, req_succeeded: bool) -> None:
        """Apply the CORS policy to ``resp`` (see the class docstring)."""
        if self._varies:
            vary = resp.get_header('Vary')
            if vary is None:
                resp.set_header('Vary', 'Origin')
            else:
                tokens = {token.strip().lower() for token in vary.split(',')}
                if 'origin' not in tokens and '*' not in tokens:
                    resp.append_header('Vary', 'Origin')

        origin = req.get_header('Origin')
        if origin is None:
            return
        if not self._allow_all and origin not in self._allow_origins:
            return

        if resp.get_header('Access-Control-Allow-Origin') is None:
            # A non-wildcard policy only gets here for an exact configured (hence safe) origin.
            allow_origin = '*' if self._allow_all else origin
            if (self._credentials_all or origin in self._credentials_origins) and _echoable(origin):
                allow_origin = origin
                resp.set_header('Access-Control-Allow-Credentials', 'true')
            resp.set_header('Access-Control-Allow-Origin', allow_origin)

        if self._expose_headers:
            resp.set_header('Access-Control-Expose-Headers', self._expose_headers)

        if (
            req_succeeded
            and req.method == 'OPTIONS'
            and req.get_header('Access-Control-Request-Method')
        ):
            self._preflight(req, resp)

    def _preflight(self, req: Any, resp: Any) -> None:
        allow = resp.get_header('Allow')
        resp.delete_header('Allow')
        if allow is None:
            # Nothing says which methods are allowed (a sink, or an on_options that did not set
            # Allow): deny the preflight by answering without any CORS grant.
            for name in (
                'Access-Control-Allow-Methods',
                'Access-Control-Allow-Headers',
                'Access-Control-Max-Age',
                'Access-Control-Expose-Headers',
                'Access-Control-Allow-Origin',
            ):
                resp.delete_header(name)
            return
        requested_headers = req.get_header('Access-Control-Request-Headers')
        if requested_headers is None or not _echoable(requested_headers):
            requested_headers = '*'
        resp.set_header('Access-Control-Allow-Methods', allow)
        resp.set_header('Access-Control-Allow-Headers', requested_headers)
        resp.set_header('Access-Control-Max-Age', _MAX_AGE)
        if (
            self._private_network
            and (req.get_header('Access-Control-Request-Private-Network') or '').lower() == 'true'
        ):
            resp.set_header('Access-Control-Allow-Private-Network', 'true')

    async def process_response_async(
        self, req: Any, resp: Any, resource: object, req_succeeded: bool
    ) -> None:
        """ASGI flavour of :meth:`process_response`."""
        self.process_response(req, resp, resource, req_succeeded)
