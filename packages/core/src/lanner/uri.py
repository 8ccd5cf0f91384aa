"""URI utilities (``falcon.uri``): the public API of :mod:`lanner.util.uri` under a short name."""

from __future__ import annotations

from lanner.util.uri import (
    decode,
    encode,
    encode_check_escaped,
    encode_value,
    encode_value_check_escaped,
    parse_host,
    parse_query_string,
    unquote_string,
)

__all__ = (
    'decode',
    'encode',
    'encode_check_escaped',
    'encode_value',
    'encode_value_check_escaped',
    'parse_host',
    'parse_query_string',
    'unquote_string',
)
