"""The media handler registry: media type -> handler, with Falcon's resolution rules.

Contract used by Request/Response (``Handlers._resolve``)
---------------------------------------------------------
``handlers._resolve(media_type, default, raise_not_found=True)`` returns a 3-tuple
``(handler, serialize_sync, deserialize_sync)``:

* ``media_type`` is the raw Content-Type (parameters allowed) or None/''; ``default`` is the
  options' ``default_media_type``. A missing/empty type or ``*/*`` resolves ``default``.
* Lookup is an exact key match first; otherwise the registered keys are ranked against the
  requested type with ``lanner.util.mediatypes.best_match`` (so ``application/json;
  charset=utf-8`` finds ``application/json``; parameter values that conflict do not match; a
  wildcard request such as ``application/*`` finds the first registered ``application/...``).
* No match (malformed types included): ``HTTPUnsupportedMediaType`` (415) with the description
  ``'<media type> is an unsupported media type.'``, or ``(None, None, None)`` when
  ``raise_not_found`` is False.
* ``serialize_sync`` (``obj -> bytes``) and ``deserialize_sync`` (``bytes -> obj``) are the
  handler's ``_serialize_sync`` / ``_deserialize_sync`` fast paths, or None when the handler has
  none (custom handlers, subclasses of the built-ins). When not None, callers may use them instead
  of ``serialize(media, content_type)`` / ``deserialize(stream, content_type, length)``; a
  deserialize fast path takes the *whole* body and raises the same Media* errors (``b''`` ->
  ``MediaNotFoundError``). Callers must still honour ``handler.exhaust_stream``.
* Results are cached per ``(media_type, default)``; setting or deleting a key clears the cache
  (and ``_derived``, where other core modules keep values computed from the registry), so
  handlers added after first use are found. The cache is bounded (clients choose the
  Content-Type string, so an unbounded cache would be a memory leak under attack).
"""

from __future__ import annotations

from collections import UserDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, overload

from lanner.constants import MEDIA_JSON, MEDIA_MULTIPART, MEDIA_URLENCODED
from lanner.errors import HTTPUnsupportedMediaType
from lanner.media.base import BaseHandler, DeserializeSync, SerializeSync

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ['Handlers', 'ResolvedHandler']

ResolvedHandler = tuple[BaseHandler, SerializeSync | None, DeserializeSync | None]
_NOT_FOUND: tuple[None, None, None] = (None, None, None)

# Distinct (media_type, default) pairs remembered before the cache is reset. Real apps see a
# handful; anything beyond this is a client cycling through made-up Content-Types.
_MAX_CACHE_ENTRIES = 256


class Handlers(UserDict):  # type: ignore[type-arg]
    """A mapping of media types to media handlers.

    ``Handlers()`` installs fresh JSON, multipart/form-data and URL-encoded form handlers.
    Passing a mapping uses exactly that mapping (no defaults are added).

    Args:
        initial: Optional mapping of media type strings to handler instances.
    """

    data: dict[str, BaseHandler]

    def __init__(self, initial: Mapping[str, BaseHandler] | None = None) -> None:
        self._cache: dict[tuple[str | None, str], ResolvedHandler | tuple[None, None, None]] = {}
        # Values other core modules derive from the registry (e.g. the error serializer's
        # negotiation plan), keyed by the deriving module; emptied with the cache.
        self._derived: dict[str, Any] = {}
        if initial is None:
            # Local imports: the concrete handlers import this package's siblings.
            from lanner.media.json import JSONHandler
            from lanner.media.multipart import MultipartFormHandler
            from lanner.media.urlencoded import URLEncodedFormHandler

            initial = {
                MEDIA_JSON: JSONHandler(),
                MEDIA_MULTIPART: MultipartFormHandler(),
                MEDIA_URLENCODED: URLEncodedFormHandler(),
            }
        super().__init__(initial)

    def __setitem__(self, key: str, value: BaseHandler) -> None:
        if not isinstance(key, str):
            raise TypeError(
                f'Media handler keys must be media type strings such as {MEDIA_JSON!r}, '
                f'got {key!r}.'
            )
        self.data[key] = value
        self._cache.clear()
        self._derived.clear()

    def __delitem__(self, key: str) -> None:
        del self.data[key]
        self._cache.clear()
        self._derived.clear()

    def copy(self) -> Self:
        """Return a shallow copy (same class, same handler instances)."""
        return type(self)(dict(self.data))

    # UserDict's own __copy__ would share the resolution cache between the copies.
    __copy__ = copy

    @overload
    def _resolve(
        self, media_type: str | None, default: str, raise_not_found: Literal[True] = ...
    ) -> ResolvedHandler: ...

    @overload
    def _resolve(
        self, media_type: str | None, default: str, raise_not_found: bool
    ) -> ResolvedHandler | tuple[None, None, None]: ...

    def _resolve(
        self, media_type: str | None, default: str, raise_not_found: bool = True
    ) -> ResolvedHandler | tuple[None, None, None]:
        """Find the handler for ``media_type`` (see the module docstring for the contract).

        Returns:
            ``(handler, serialize_sync, deserialize_sync)``, or ``(None, None, None)`` when
            nothing matches and ``raise_not_found`` is False.
        """
        key = (media_type, default)
        # PERF: one dict lookup on the hot path; the work below runs once per distinct type.
        resolved = self._cache.get(key)
        if resolved is None:
            resolved = self._lookup(media_type, default)
            if len(self._cache) >= _MAX_CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = resolved
        if resolved[0] is None and raise_not_found:
            wanted = media_type if media_type and media_type != '*/*' else default
            raise HTTPUnsupportedMediaType(description=f'{wanted} is an unsupported media type.')
        return resolved

    def _lookup(
        self, media_type: str | None, default: str
    ) -> ResolvedHandler | tuple[None, None, None]:
        if not media_type or media_type == '*/*':
            media_type = default
        handler = self.data.get(media_type)
        if handler is None:
            matched = _best_key(list(self.data), media_type)
            if not matched:
                return _NOT_FOUND
            handler = self.data[matched]
        return (
            handler,
            getattr(handler, '_serialize_sync', None),
            getattr(handler, '_deserialize_sync', None),
        )


def _best_key(keys: list[str], media_type: str) -> str:
    # Local import keeps the mediatypes module off the import path of `import lanner.media`
    # users who never send an inexact Content-Type; it runs once per distinct type (cached).
    from lanner.util.mediatypes import best_match

    try:
        return best_match(keys, media_type)
    except ValueError:
        # Malformed requested type, or a registered key that is not a media type at all:
        # neither can match, and the caller turns "no match" into a 415.
        return ''
