"""Command-line entry points (``falcon.cmd`` parity)."""
