"""SSEvent: Falcon's serialization contract, the commissioning page's spelling, and safety."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sse_helpers import parse_stream

import lanner
from lanner.sse import SerializedEvent, SSEvent


class TestFalconFormat:
    def test_falcon_example(self) -> None:
        event = SSEvent(data=b'mayo', event='condiment', event_id='1234')
        assert event.serialize() == b'event: condiment\nid: 1234\ndata: mayo\n\n'

    def test_no_fields_is_a_ping(self) -> None:
        assert SSEvent().serialize() == b': ping\n\n'

    def test_field_order(self) -> None:
        event = SSEvent(
            data=b'x', event='e', event_id='7', retry=3000, comment='note', text='ignored'
        )
        assert event.serialize() == (b': note\nevent: e\nid: 7\nretry: 3000\ndata: x\n\n')

    def test_data_wins_over_text_and_json(self) -> None:
        assert SSEvent(data=b'd', text='t', json={'j': 1}).serialize() == b'data: d\n\n'
        assert SSEvent(text='t', json={'j': 1}).serialize() == b'data: t\n\n'

    def test_json_default_rendering_is_utf8_not_ascii_escaped(self) -> None:
        out = SSEvent(json={'name': 'Zoë', 'n': [1, 2]}).serialize()
        assert out == 'data: {"name": "Zoë", "n": [1, 2]}\n\n'.encode()

    def test_json_uses_given_handler(self) -> None:
        calls: list[tuple[object, str]] = []

        class Handler:
            def serialize(self, media: object, content_type: str) -> bytes:
                calls.append((media, content_type))
                return b'<custom>'

        out = SSEvent(json={'a': 1}).serialize(Handler())
        assert out == b'data: <custom>\n\n'
        assert calls == [({'a': 1}, 'application/json')]

    def test_empty_payloads_still_send_a_data_line(self) -> None:
        assert SSEvent(data=b'').serialize() == b'data: \n\n'
        assert SSEvent(text='').serialize() == b'data: \n\n'

    def test_json_null_is_no_payload(self) -> None:
        assert SSEvent(json=None, event='tick').serialize() == b'event: tick\n\n'

    def test_comment_only_and_retry_only(self) -> None:
        assert SSEvent(comment='hello').serialize() == b': hello\n\n'
        assert SSEvent(retry=0).serialize() == b'retry: 0\n\n'

    def test_invalid_utf8_data_is_refused(self) -> None:
        with pytest.raises(UnicodeDecodeError):
            SSEvent(data=b'\xff\xfe').serialize()

    def test_attributes_are_public_and_mutable(self) -> None:
        event = SSEvent(data=b'a')
        event.data = b'b'
        event.event = 'changed'
        event.event_id = '9'
        assert event.serialize() == b'event: changed\nid: 9\ndata: b\n\n'


class TestPageSpelling:
    def test_str_data_and_event_type(self) -> None:
        event = SSEvent(data='{"count": 1}', event_type='counter', event_id='1')
        assert event.serialize() == b'event: counter\nid: 1\ndata: {"count": 1}\n\n'
        assert event.event_type == 'counter'
        assert event.event == 'counter'

    def test_event_type_attribute_is_an_alias(self) -> None:
        event = SSEvent(data='x')
        event.event_type = 'a'
        assert event.event == 'a'
        event.event = 'b'
        assert event.event_type == 'b'

    def test_event_and_event_type_must_agree(self) -> None:
        assert SSEvent(event='a', event_type='a').event == 'a'
        with pytest.raises(TypeError, match='event_type'):
            SSEvent(event='a', event_type='b')

    def test_serialize_then_encode_idiom(self) -> None:
        out = SSEvent(data='hi', event_type='greeting').serialize()
        assert isinstance(out, bytes)
        assert isinstance(out, SerializedEvent)
        encoded = out.encode('utf-8')
        assert type(encoded) is bytes
        assert encoded == b'event: greeting\ndata: hi\n\n'
        assert out.encode() == encoded

    def test_encode_other_encodings_reencodes(self) -> None:
        out = SSEvent(text='é').serialize()
        assert out.encode('latin-1') == b'data: \xe9\n\n'
        assert out.encode('UTF8') == 'data: é\n\n'.encode()
        with pytest.raises(UnicodeEncodeError):
            SSEvent(text='€').serialize().encode('ascii')
        assert SSEvent(text='€').serialize().encode('ascii', 'replace') == b'data: ?\n\n'

    def test_decode_gives_the_text(self) -> None:
        assert SSEvent(text='x').serialize().decode() == 'data: x\n\n'

    def test_repr_names_set_fields(self) -> None:
        assert repr(SSEvent(data='x', event_type='t')) == "SSEvent(data='x', event='t')"


class TestTypeChecks:
    @pytest.mark.parametrize(
        'kwargs',
        [
            {'data': 1},
            {'data': bytearray(b'x')},
            {'text': b'bytes'},
            {'event': 1},
            {'event_type': 1},
            {'event_id': 1234},
            {'comment': b'c'},
            {'retry': '1000'},
            {'retry': 1.5},
            {'retry': True},
        ],
    )
    def test_wrong_types_raise_type_error(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(TypeError):
            SSEvent(**kwargs)

    def test_negative_retry(self) -> None:
        with pytest.raises(ValueError, match='retry'):
            SSEvent(retry=-1)

    def test_any_json_value_is_accepted(self) -> None:
        assert SSEvent(json=[1, 'a']).serialize() == b'data: [1, "a"]\n\n'

    def test_unserialisable_json_fails_at_serialize(self) -> None:
        with pytest.raises(TypeError):
            SSEvent(json=object()).serialize()


BREAKS = ['\n', '\r', '\r\n', '\x00']


class TestInjection:
    @pytest.mark.parametrize('sep', ['\n', '\r', '\r\n'])
    @pytest.mark.parametrize('field', ['data', 'text'])
    def test_line_breaks_in_payload_become_data_lines(self, field: str, sep: str) -> None:
        payload = f'first{sep}event: forged{sep}id: 666{sep}{sep}data: evil'
        value: str | bytes = payload.encode() if field == 'data' else payload
        raw = SSEvent(**{field: value}, event='real').serialize()
        # Every line of the output is a real field; nothing but data lines after "event:".
        lines = raw.decode().split('\n')
        assert lines[0] == 'event: real'
        assert all(line.startswith('data: ') for line in lines[1:-2])
        assert lines[-2:] == ['', '']
        events = parse_stream(raw)
        assert len(events) == 1
        assert events[0]['event'] == 'real'
        assert 'id' not in events[0]
        assert events[0]['data'] == payload.replace('\r\n', '\n').replace('\r', '\n')

    def test_json_with_line_breaks_from_handler_is_split(self) -> None:
        class Pretty:
            def serialize(self, media: object, content_type: str) -> bytes:
                return json.dumps(media, indent=2).encode()

        raw = SSEvent(json={'a': 1, 'b': 'x'}).serialize(Pretty())
        events = parse_stream(raw)
        assert len(events) == 1
        assert json.loads(events[0]['data']) == {'a': 1, 'b': 'x'}

    def test_trailing_line_break_is_preserved(self) -> None:
        raw = SSEvent(text='a\n').serialize()
        assert raw == b'data: a\ndata: \n\n'
        assert parse_stream(raw)[0]['data'] == 'a\n'

    def test_other_unicode_separators_stay_in_the_line(self) -> None:
        text = 'a\u2028b\x0bc\x1cd\x85e'
        raw = SSEvent(text=text).serialize()
        assert raw == f'data: {text}\n\n'.encode()

    @pytest.mark.parametrize('bad', BREAKS)
    @pytest.mark.parametrize('field', ['event', 'event_id', 'comment', 'event_type'])
    def test_breaks_in_single_line_fields_rejected_at_construction(
        self, field: str, bad: str
    ) -> None:
        # lanner.UnsafeValueError (a ValueError): the App answers 400 when built in a responder.
        with pytest.raises(lanner.UnsafeValueError, match='line break'):
            SSEvent(data=b'x', **{field: f'ok{bad}data: forged'})

    @pytest.mark.parametrize('bad', BREAKS)
    @pytest.mark.parametrize('field', ['event', 'event_id', 'comment'])
    def test_breaks_set_after_construction_rejected_at_serialize(
        self, field: str, bad: str
    ) -> None:
        event = SSEvent(data=b'x')
        setattr(event, field, f'ok{bad}retry: 1')
        with pytest.raises(lanner.UnsafeValueError, match='line break'):
            event.serialize()

    def test_mutated_retry_cannot_carry_text(self) -> None:
        event = SSEvent(data=b'x')
        event.retry = '5\ndata: forged'  # type: ignore[assignment]
        with pytest.raises(TypeError):
            event.serialize()

        class SneakyInt(int):
            def __str__(self) -> str:
                return '1\nevent: forged'

            __repr__ = __str__

            def __format__(self, spec: str) -> str:
                return str(self)

        raw = SSEvent(retry=SneakyInt(1)).serialize()
        assert raw == b'retry: 1\n\n'

    def test_mutated_data_type_rejected(self) -> None:
        event = SSEvent(data=b'x')
        event.data = 5  # type: ignore[assignment]
        with pytest.raises(TypeError):
            event.serialize()
        event = SSEvent(text='x')
        event.text = b'x'  # type: ignore[assignment]
        with pytest.raises(TypeError):
            event.serialize()
