"""A deliberately simple third-party router that depends on lanner-core only.

It proves the router seam (``App(router=...)``) and lets core's tests run without
lanner-routing installed. Templates support literal segments and ``{field}`` segments.
"""

from __future__ import annotations

import re
from typing import Any

from lanner.router_support import map_http_methods, set_default_responders, validate_responders


class SimpleRouter:
    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], object, dict[str, Any], str]] = []
        self.options = None

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
        method_map = map_http_methods(resource, suffix=kwargs.get('suffix'))
        asgi = bool(kwargs.get('_asgi', False))
        set_default_responders(method_map, asgi=asgi)
        # As every router should: refuses responders of the wrong flavour, and applies the
        # FALCON_ASGI_WRAP_NON_COROUTINES escape hatch to the map this router dispatches from.
        validate_responders(method_map, asgi=asgi, uri_template=uri_template)
        pattern = (
            '^'
            + re.sub(
                r'\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}',
                lambda m: f'(?P<{m.group(1)}>[^/]+)',
                re.escape(uri_template),
            )
            + '$'
        )
        self._routes = [r for r in self._routes if r[3] != uri_template]
        self._routes.append((re.compile(pattern), resource, method_map, uri_template))

    def find(self, uri: str, req: Any = None) -> Any:
        for pattern, resource, method_map, template in self._routes:
            match = pattern.match(uri)
            if match:
                return resource, method_map, match.groupdict(), template
        return None
