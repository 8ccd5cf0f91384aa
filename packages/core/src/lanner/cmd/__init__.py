"""Command-line entry points (``falcon.cmd`` parity)."""

__all__: tuple[str, ...] = ()
