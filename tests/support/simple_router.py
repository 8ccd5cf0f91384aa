"""A deliberately simple third-party router that depends on lanner-core only.

It proves the router seam (``App(router=...)``) and lets core's tests run without
lanner-routing installed. Templates support literal segments and ``{field}`` segments.
"""

from __future__ import annotations

import re
from typing import Any

from lanner.router_support import map_http_methods, set_default_responders


class SimpleRouter:
    def __init__(self) -> None:
        self._routes: list[tuple[re.Pattern[str], object, dict[str, Any], str]] = []
        self.options = None

    def add_route(self, uri_template: str, resource: object, **kwargs: Any) -> None:
        method_map = map_http_methods(resource, suffix=kwargs.get('suffix'))
        set_default_responders(method_map, asgi=kwargs.get('_asgi', False))
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
