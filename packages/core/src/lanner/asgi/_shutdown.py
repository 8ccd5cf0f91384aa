"""Long-lived work in flight when the server shuts down: streamed responses and WebSockets.

Why this exists. uvicorn (0.30 to at least 0.55) shuts down in this order: stop accepting, wait
up to ``--timeout-graceful-shutdown`` for connections, cancel the request tasks still running,
send the lifespan ``shutdown`` event *without waiting for the cancelled tasks*, and, once the app
reports shutdown complete, end the process by re-raising SIGTERM while the event loop is still
running. A streamed response needs a few event-loop passes to unwind (the pump cancels its
producer task, which then closes the emitter, whose ``finally`` may itself await), so its
``finally`` blocks raced the process exit and were sometimes never run. Other servers send the
lifespan ``shutdown`` event while streams are still open and wait for the app to end them.

So :class:`lanner.asgi.App` registers each streamed response (``resp.stream``, ``resp.sse``)
and each WebSocket handler here, and its lifespan shutdown calls :meth:`OpenStreams.stop` before
``process_shutdown``: event streams still running are told to end (cleanly: the final empty body
event is sent, so an EventSource client sees the end of the stream and reconnects elsewhere),
and the App waits, with a bound, until the registered work that is ending has finished: the
event streams it just signalled, and every task the server has cancelled. Work that is neither
(a download, a WebSocket the server left open) is the server's to end: waiting for it would
hold the shutdown for as long as it runs.

The lifespan ``shutdown`` event comes too late under uvicorn (after its graceful timeout), so the
stop signal can also be given on its own, as soon as the server begins shutting down:
:meth:`lanner.asgi.App.begin_shutdown` (``lanner serve`` calls it) -> :meth:`signal_stop`.

Invariants:
- Only the slow path registers; the common response never touches this object.
- A task is registered for exactly the time it streams or serves a WebSocket (``add`` then
  ``discard`` in a ``finally``), so the set never holds finished tasks.
- :meth:`stop` never cancels anything: it signals and waits. Cancelling is the server's call.
- Only event streams are signalled: a download ended early with a proper end of body would look
  complete to the client.
- The stop signal is one future per event loop, created on first use; an App served again
  after a shutdown (tests do this) starts with a fresh, unset signal (:meth:`reset`).
"""

from __future__ import annotations

import asyncio
import logging

__all__ = ('SHUTDOWN_DRAIN_SECONDS', 'OpenStreams')

_logger = logging.getLogger('lanner')

# How long the lifespan shutdown waits for registered work to unwind. Signalled streams and
# cancelled tasks need milliseconds; the bound only matters for an emitter or WebSocket handler
# whose clean-up hangs, and keeps such a one from holding the shutdown for good.
SHUTDOWN_DRAIN_SECONDS = 5.0


class OpenStreams:
    """The App's streamed responses and WebSocket handlers in flight, and the stop signal."""

    __slots__ = ('_signal', '_tasks')

    def __init__(self) -> None:
        # Each registered task, and whether it ends when signalled (an event stream).
        self._tasks: dict[asyncio.Task[object], bool] = {}
        self._signal: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, ends_on_stop: bool) -> asyncio.Task[object] | None:
        """Register the current task; pass the result to :meth:`discard` when it is done.

        Args:
            ends_on_stop: The task ends by itself once :meth:`stop_signal` is done (an event
                stream watching the signal).
        """
        task = asyncio.current_task()
        if task is not None:
            self._tasks[task] = ends_on_stop
        return task

    def discard(self, task: asyncio.Task[object] | None) -> None:
        if task is not None:
            self._tasks.pop(task, None)

    def stop_signal(self) -> asyncio.Future[None]:
        """A future that is done once the App's lifespan shutdown has begun (this loop's)."""
        signal = self._signal
        loop = asyncio.get_running_loop()
        if signal is None or signal.get_loop() is not loop:
            signal = self._signal = loop.create_future()
        return signal

    def signal_stop(self) -> None:
        """Tell the event streams to end now, without waiting (the server began shutting down).

        Must run in the event loop serving the App. :meth:`stop` gives the same signal later.
        """
        signal = self.stop_signal()
        if not signal.done():
            signal.set_result(None)

    def reset(self) -> None:
        """Forget a previous shutdown (called at lifespan startup).

        A signal not yet given is kept: streams already running hold it.
        """
        if self._signal is not None and self._signal.done():
            self._signal = None

    async def stop(self, timeout: float = SHUTDOWN_DRAIN_SECONDS) -> int:
        """Signal the event streams to end; wait (at most ``timeout`` s) for the work ending.

        Returns:
            How many of the tasks waited for were still running when the wait gave up.
        """
        self.signal_stop()
        current = asyncio.current_task()
        pending = {
            task
            for task, ends_on_stop in self._tasks.items()
            if task is not current and not task.done() and (ends_on_stop or _cancelled(task))
        }
        if not pending:
            return 0
        _, still_running = await asyncio.wait(pending, timeout=timeout)
        if still_running:
            _logger.warning(
                'Shutdown: %d streamed response(s) or WebSocket handler(s) still running after '
                '%.1f s; not waiting for them any longer (their finally blocks may not run).',
                len(still_running),
                timeout,
            )
        return len(still_running)


def _cancelled(task: asyncio.Task[object]) -> bool:
    """True when someone asked to cancel ``task`` (it may not have seen the CancelledError yet).

    ``Task.cancelling()`` is Python 3.11+; on 3.10 a cancelled task cannot be told from a
    running one, so only the signalled event streams are waited for there.
    """
    cancelling = getattr(task, 'cancelling', None)
    return cancelling is not None and bool(cancelling())
