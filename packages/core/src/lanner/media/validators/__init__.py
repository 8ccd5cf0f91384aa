"""Media validators, e.g. ``from lanner.media.validators import jsonschema``.

``validators.jsonschema`` also works after ``from lanner.media import validators``, as in
Falcon: the submodule is imported on first access (it imports nothing third-party until a
decorator is applied), so importing this package stays free.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lanner.media.validators import jsonschema

__all__ = ('jsonschema',)


def __getattr__(name: str) -> Any:
    if name == 'jsonschema':
        return importlib.import_module(f'{__name__}.jsonschema')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
