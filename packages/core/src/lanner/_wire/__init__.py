"""Byte-level rules both flavours share, written once and without I/O (private).

The WSGI and ASGI readers and parsers drive these pieces; they only say how bytes arrive.
"""
