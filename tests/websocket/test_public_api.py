"""lanner.websocket's public names are pinned."""

from __future__ import annotations

import lanner
import lanner.asgi
import lanner.websocket


def test_all_is_pinned() -> None:
    assert sorted(lanner.websocket.__all__) == sorted(
        [
            'BroadcastResult',
            'Broadcaster',
            'OperationNotAllowed',
            'PayloadTypeError',
            'ReadyState',
            'WebSocket',
            'WebSocketDisconnected',
            'WebSocketHandlerNotFound',
            'WebSocketOptions',
            'WebSocketPathNotFound',
            'WebSocketPayloadType',
            'WebSocketServerError',
            '__version__',
        ]
    )
    for name in lanner.websocket.__all__:
        assert getattr(lanner.websocket, name) is not None


def test_falcon_names_resolve_to_this_package() -> None:
    assert lanner.asgi.WebSocket is lanner.websocket.WebSocket
    assert lanner.WebSocketDisconnected is lanner.websocket.WebSocketDisconnected
    for name in ('WebSocketPathNotFound', 'WebSocketHandlerNotFound', 'WebSocketServerError'):
        cls = getattr(lanner, name)
        assert issubclass(cls, lanner.WebSocketDisconnected)
        assert cls is getattr(lanner.websocket, name)
    assert issubclass(lanner.WebSocketDisconnected, ConnectionError)
    assert lanner.WebSocketDisconnected().code == 1000
    assert lanner.WebSocketDisconnected(4000).code == 4000


def test_ready_state_numbers_match_the_browser() -> None:
    from lanner.websocket import ReadyState

    assert [int(s) for s in ReadyState] == [0, 1, 2, 3]
    assert [s.name for s in ReadyState] == ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']


def test_member_layout() -> None:
    from pathlib import Path

    package = Path(lanner.websocket.__file__).parent
    assert (package / 'py.typed').exists()
    # A member ships only lanner/websocket/, never a lanner/__init__.py of its own.
    assert not (package.parent / '__init__.py').exists()
    assert lanner.websocket.__version__
