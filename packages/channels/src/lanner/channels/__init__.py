"""Pub/sub channels for lanner (the lanner-channels distribution).

One API, :class:`Channels` (``publish``, ``subscribe``, ``history``), used by
``lanner.websocket.Broadcaster`` and ``lanner.sse.EventBroker`` to fan events out:

* :class:`MemoryBackend` (default): subscribers of one process.
* :class:`RedisBackend` (``pip install "lanner-channels[redis]"``): every process and host
  sharing one Redis or Valkey server; live events travel by pub/sub, replay comes from a
  Redis stream, and event ids are the stream ids.

``Channels`` satisfies ``lanner.typing.PubSubChannels``, the seam the other members accept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lanner.channels._backend import Backend, BackendSink, ChannelsUnavailable
from lanner.channels._channels import Channels, ChannelsStats, OverflowPolicy, Subscription
from lanner.channels._memory import MemoryBackend
from lanner.channels._version import __version__

if TYPE_CHECKING:
    from lanner.channels._redis import RedisBackend

__all__ = (
    'Backend',
    'BackendSink',
    'Channels',
    'ChannelsStats',
    'ChannelsUnavailable',
    'MemoryBackend',
    'OverflowPolicy',
    'RedisBackend',
    'Subscription',
    '__version__',
)


def __getattr__(name: str) -> Any:
    # RedisBackend imports redis-py, an optional dependency: load it only when it is asked for.
    if name == 'RedisBackend':
        from lanner.channels._redis import RedisBackend

        globals()['RedisBackend'] = RedisBackend
        return RedisBackend
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
