"""Server-Sent Events inside core (private): ``resp.sse`` on both flavours.

- :mod:`.render`: the I/O-free rules (default headers, keep-alive comment and interval, rendering
  of one item, emitter checks).
- :mod:`.wsgi_body`: the WSGI driver, a body iterable.
- :mod:`.asgi_pump`: the ASGI driver (producer, disconnect watcher, keep-alive ticker); it
  imports asyncio, so only :mod:`lanner.asgi` imports it.

The public side is lanner-sse (``lanner.sse.SSEvent``...) and the ``resp.sse`` attribute; core
never imports lanner-sse.
"""
