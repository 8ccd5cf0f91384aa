"""Media validators. Import the one you need explicitly, e.g.
``from lanner.media.validators import jsonschema``; none is imported here, so optional
third-party libraries stay unimported until used.
"""

from __future__ import annotations

__all__: list[str] = []
