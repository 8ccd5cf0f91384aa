"""The default error serializer: render an ``HTTPError`` as JSON, XML or a negotiated type.

Re-exported as ``lanner.app_helpers.default_serialize_error``. Steps (all by the Accept header,
ties going to the earlier candidate):

1. Candidates: ``application/json``; then ``text/xml`` and ``application/xml`` when
   ``resp.options.xml_error_serialization`` is on; then every other media type registered in
   ``resp.options.media_handlers``, in registration order.
2. No candidate acceptable: a ``+json`` suffix anywhere in Accept forces JSON, else ``+xml``
   forces XML (canonical ``application/json`` / ``application/xml`` content types).
3. JSON -> ``resp.data = error.to_json(<registered JSON handler or the stdlib default>)``;
   another type with a registered handler -> ``resp.media = error.to_dict()``; XML without a
   handler -> the built-in XML document (only when XML serialization is enabled).
4. ``Vary: Accept`` is always appended. With no acceptable type no body is set and the
   Content-Type falls back to the app default when the response is rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lanner.constants import MEDIA_JSON, MEDIA_XML

if TYPE_CHECKING:
    from lanner.http_error import HTTPError

__all__ = ('default_serialize_error',)

_MEDIA_TEXT_XML = 'text/xml'
_JSON_ONLY = (MEDIA_JSON,)
_JSON_AND_XML = (MEDIA_JSON, _MEDIA_TEXT_XML, MEDIA_XML)
_PLAN_KEY = 'error-serializer'
_PLAN_KEY_XML = 'error-serializer+xml'


def _lookup_handler(handlers: Any, media_type: str) -> Any:
    # Exact registration first (the common case), then whatever resolution the registry offers
    # for parameterised registrations such as 'application/json; charset=utf-8'.
    handler = handlers.get(media_type)
    if handler is None:
        resolve = getattr(handlers, '_resolve', None)
        if resolve is not None:
            handler = resolve(media_type, media_type, raise_not_found=False)[0]
    return handler


def _is_stock_json(handler: Any) -> bool:
    # Imported here: lanner.media.json imports orjson, which `import lanner` avoids.
    from lanner.media.json import JSONHandler

    return type(handler) is JSONHandler and getattr(handler, '_dumps', None) is None


def _make_plan(handlers: Any, xml_enabled: bool) -> tuple[tuple[str, ...], Any]:
    """The negotiation candidates, and the handler that renders JSON (None: the stdlib)."""
    predefined = _JSON_AND_XML if xml_enabled else _JSON_ONLY
    candidates = predefined + tuple(
        media_type for media_type in handlers if media_type not in predefined
    )
    json_handler = _lookup_handler(handlers, MEDIA_JSON)
    # Error bodies are small and rare: with the stock JSON handler (orjson, compact) they are
    # rendered exactly as Falcon renders them (stdlib spacing), so clients and tests that
    # compare bytes see no difference. A custom dumps/handler is always honoured.
    if json_handler is not None and _is_stock_json(json_handler):
        json_handler = None
    return candidates, json_handler


def default_serialize_error(req: Any, resp: Any, exception: HTTPError) -> None:
    """Serialise ``exception`` into ``resp`` according to the request's Accept header.

    Args:
        req: The request (``client_prefers`` and ``accept`` are used).
        resp: The response (``options``, ``data``, ``media``, ``content_type`` and
            ``append_header`` are used).
        exception: The error to render.
    """
    options = resp.options
    handlers = options.media_handlers
    xml_enabled = bool(options.xml_error_serialization)
    # PERF: the candidates and the JSON handler only change when handlers are registered;
    # lanner.media.Handlers keeps them until then (a plain mapping is planned every time).
    derived = getattr(handlers, '_derived', None)
    plan_key = _PLAN_KEY_XML if xml_enabled else _PLAN_KEY
    plan = derived.get(plan_key) if derived is not None else None
    if plan is None:
        plan = _make_plan(handlers, xml_enabled)
        if derived is not None:
            derived[plan_key] = plan
    candidates, json_handler = plan

    preferred = req.client_prefers(candidates)
    if not preferred:
        accept = (req.accept or '').lower()
        if '+json' in accept:
            preferred = MEDIA_JSON
        elif '+xml' in accept:
            preferred = MEDIA_XML

    if preferred:
        if preferred == MEDIA_JSON:
            resp.data = exception.to_json(json_handler)
        else:
            handler = _lookup_handler(handlers, preferred)
            if handler is not None:
                resp.media = exception.to_dict()
            elif xml_enabled and preferred in (MEDIA_XML, _MEDIA_TEXT_XML):
                resp.data = exception._to_xml()
        resp.content_type = preferred

    resp.append_header('Vary', 'Accept')
