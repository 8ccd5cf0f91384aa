"""WebSocketOptions: Falcon's defaults plus the page's keyword arguments."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

import lanner.asgi
from lanner.asgi import WebSocketOptions
from lanner.constants import WebSocketPayloadType
from lanner.media import JSONHandlerWS, MessagePackHandlerWS, MissingDependencyHandler


def test_falcon_defaults() -> None:
    options = WebSocketOptions()
    assert options.error_close_code == 1011
    assert options.max_receive_queue == 4
    assert options.max_message_size is None
    reasons = options.default_close_reasons
    assert reasons[1000] == 'Normal Closure'
    assert reasons[1011] == reasons[3011] == 'Internal Server Error'
    assert reasons[3404] == 'Not Found'
    assert reasons[3405] == 'Method Not Allowed'
    assert reasons[3400] == 'Bad Request'
    assert all(3100 <= c <= 3599 for c in reasons if c >= 3000 and c != 3011)
    handlers = options.media_handlers
    assert isinstance(handlers[WebSocketPayloadType.TEXT], JSONHandlerWS)
    assert isinstance(handlers[WebSocketPayloadType.BINARY], MessagePackHandlerWS)


def test_payload_type_is_an_enum() -> None:
    assert [m.name for m in WebSocketPayloadType] == ['TEXT', 'BINARY']
    assert WebSocketPayloadType.TEXT.value == 1 and WebSocketPayloadType.BINARY.value == 2
    assert lanner.WebSocketPayloadType is WebSocketPayloadType


def test_page_keyword_arguments() -> None:
    handlers: dict[Any, Any] = {WebSocketPayloadType.TEXT: JSONHandlerWS()}
    options = WebSocketOptions(media_handlers=handlers, max_receive_queue=32)
    assert options.media_handlers is handlers
    assert options.max_receive_queue == 32
    options = WebSocketOptions(error_close_code=4000, default_close_reasons={1000: 'bye'})
    assert options.error_close_code == 4000 and options.default_close_reasons == {1000: 'bye'}
    assert WebSocketOptions(max_message_size=1024).max_message_size == 1024


@pytest.mark.parametrize(
    'kwargs',
    [
        {'max_receive_queue': -1},
        {'max_receive_queue': 1.5},
        {'max_receive_queue': True},
        {'error_close_code': 999},
        {'max_message_size': 0},
        {'max_message_size': '10'},
    ],
)
def test_invalid_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        WebSocketOptions(**kwargs)


def test_slotted() -> None:
    options = WebSocketOptions()
    with pytest.raises(AttributeError):
        options.max_recieve_queue = 3  # type: ignore[attr-defined]
    assert 'max_receive_queue=4' in repr(options)


def test_app_has_its_own_options(make_ws_app: Any) -> None:
    one, two = make_ws_app(), make_ws_app()
    assert isinstance(one.ws_options, WebSocketOptions)
    one.ws_options.max_receive_queue = 0
    assert two.ws_options.max_receive_queue == 4


def test_missing_msgpack_falls_back_to_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_msgpack(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == 'msgpack' or name.startswith('msgpack.'):
            raise ImportError('No module named msgpack')
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__('sys').modules, 'msgpack', raising=False)
    monkeypatch.setattr(builtins, '__import__', no_msgpack)
    options = WebSocketOptions()
    binary = options.media_handlers[WebSocketPayloadType.BINARY]
    assert isinstance(binary, MissingDependencyHandler)
    with pytest.raises(RuntimeError, match='msgpack'):
        binary.serialize({})


def test_module_paths() -> None:
    import lanner.asgi.ws as ws_module

    assert ws_module.WebSocketOptions is WebSocketOptions
    assert ws_module.WebSocket is lanner.asgi.WebSocket
    assert ws_module.http_status_to_ws_code(404) == 3404
