"""What :class:`~lanner.channels.Channels` needs from a backend, and the errors backends raise.

A backend stores events (for replay) and carries them between processes; the
:class:`~lanner.channels.Channels` front end owns the subscribers of its own process and fans
every event out to them. The backend reports to the front end through a :class:`BackendSink`:

* ``deliver(channel, event_id, data)`` once for every event published (by any process) on a
  channel the backend was asked to :meth:`~Backend.listen` to, in id order;
* ``gap()`` when live delivery was interrupted (connection lost), so events may have been missed.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ('Backend', 'BackendSink', 'ChannelsUnavailable')


class ChannelsUnavailable(ConnectionError):
    """The shared backend could not be reached in time (publish, history or subscribe)."""


class BackendSink(Protocol):
    """The callbacks a backend reports to (implemented by ``Channels``)."""

    def deliver(self, channel: str, event_id: str, data: bytes) -> None: ...

    def gap(self) -> None: ...


class Backend(Protocol):
    """A transport and store for channel events (``MemoryBackend``, ``RedisBackend``)."""

    @property
    def shared(self) -> bool:
        """Whether other processes see the events (False for memory)."""
        ...

    @property
    def reconnects(self) -> int:
        """How many times live delivery was re-established after a lost connection."""
        ...

    def bind(self, sink: BackendSink) -> None:
        """Attach the front end; called once, before :meth:`start`."""
        ...

    async def start(self) -> None:
        """Start background work (the Redis listener). Idempotent."""
        ...

    async def close(self) -> None:
        """Stop background work and release connections. Idempotent."""
        ...

    async def publish(self, channel: str, data: bytes) -> str:
        """Store ``data`` on ``channel``, deliver it to every listening process; return its id."""
        ...

    async def history(
        self, channel: str, after_id: str | None, limit: int
    ) -> list[tuple[str, bytes]]:
        """At most ``limit`` retained events after ``after_id`` (all retained when None)."""
        ...

    async def listen(self, channel: str) -> None:
        """Return once events published on ``channel`` from now on will be delivered.

        Raises:
            ChannelsUnavailable: Live delivery could not be set up in time.
        """
        ...

    async def unlisten(self, channel: str) -> None:
        """Stop live delivery for ``channel`` (its last local subscriber left)."""
        ...
