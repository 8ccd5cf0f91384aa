"""Server-Sent Events for lanner (the lanner-sse distribution).

* :class:`SSEvent` - one event; Falcon's fields, plus ``str`` data and the
  ``event_type`` alias. Core
  re-exports it as ``lanner.asgi.SSEvent`` (module ``lanner.asgi.structures``).
* :class:`SerializedEvent` - what ``SSEvent.serialize()`` returns: ``bytes`` with an
  ``.encode()`` method for code that expected ``str``.
* :class:`EventBroker` - publish/subscribe with per-subscriber bounded queues, a slow-subscriber
  policy and ``Last-Event-ID`` resumption.

Streaming itself (``resp.sse``: headers, keep-alive pings, disconnect handling) lives in core and
works with any object that has ``serialize(handler=None) -> bytes``.
"""

from __future__ import annotations

from lanner.sse._event import SerializedEvent, SSEvent
from lanner.sse._pubsub import EventBroker, SlowSubscriberPolicy
from lanner.sse._version import __version__

__all__ = ['EventBroker', 'SSEvent', 'SerializedEvent', 'SlowSubscriberPolicy', '__version__']
