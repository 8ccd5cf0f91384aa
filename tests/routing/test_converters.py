"""Field converters: the built-ins, custom converters and the converter registry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
import math
from typing import Any
import uuid

import pytest
from routing_helpers import Resource, matched

from lanner.routing import (
    BaseConverter,
    CompiledRouter,
    CompiledRouterOptions,
    DateTimeConverter,
    FloatConverter,
    IntConverter,
    PathConverter,
    RegexConverter,
    UnacceptableRouteError,
    UUIDConverter,
)
from lanner.routing import converters as converters_module


class TestIntConverter:
    @pytest.mark.parametrize(
        ('kwargs', 'value', 'expected'),
        [
            ({}, '123', 123),
            ({}, '-7', -7),
            ({}, '+7', 7),
            ({}, '007', 7),
            ({}, '0', 0),
            ({}, '', None),
            ({}, 'abc', None),
            ({}, '1.5', None),
            ({}, '1e3', None),
            ({}, ' 1', None),
            ({}, '1 ', None),
            ({}, '\t1', None),
            ({}, '1_000', None),
            ({}, '\u0663', None),  # ARABIC-INDIC DIGIT THREE: int() takes it
            ({}, '\uff11', None),  # FULLWIDTH DIGIT ONE
            ({}, '+', None),
            ({}, '-', None),
            ({}, '+-1', None),
            ({'num_digits': 3}, '123', 123),
            ({'num_digits': 3}, '12', None),
            ({'num_digits': 3}, '1234', None),
            ({'num_digits': 3}, '-12', -12),
            ({'num_digits': 3}, '-123', None),
            ({'min': 10}, '10', 10),
            ({'min': 10}, '9', None),
            ({'max': 10}, '10', 10),
            ({'max': 10}, '11', None),
            ({'min': -5, 'max': 5}, '-5', -5),
            ({'min': -5, 'max': 5}, '-6', None),
            ({'num_digits': 8, 'min': 10000000}, '09999999', None),
            ({}, '9' * 5000, None),
        ],
    )
    def test_convert(self, kwargs: dict[str, Any], value: str, expected: int | None) -> None:
        assert IntConverter(**kwargs).convert(value) == expected

    @pytest.mark.parametrize('num_digits', [0, -1])
    def test_num_digits_must_be_positive(self, num_digits: int) -> None:
        with pytest.raises(ValueError, match='at least 1'):
            IntConverter(num_digits)

    @pytest.mark.parametrize('kwargs', [{'num_digits': '3'}, {'min': '1'}, {'max': []}])
    def test_wrong_argument_types(self, kwargs: dict[str, Any]) -> None:
        with pytest.raises(TypeError):
            IntConverter(**kwargs)


class TestFloatConverter:
    @pytest.mark.parametrize(
        ('kwargs', 'value', 'expected'),
        [
            ({}, '1.5', 1.5),
            ({}, '-0.25', -0.25),
            ({}, '3', 3.0),
            ({}, '1e3', 1000.0),
            ({}, '.5', 0.5),
            ({}, '', None),
            ({}, 'x', None),
            ({}, ' 1.5', None),
            ({}, '1.5\n', None),
            ({}, 'nan', None),
            ({}, 'inf', None),
            ({}, '-Infinity', None),
            ({}, '1e999', None),
            ({'finite': False}, 'inf', math.inf),
            ({'finite': False}, '-inf', -math.inf),
            ({'min': 3.7}, '3.7', 3.7),
            ({'min': 3.7}, '3.6', None),
            ({'max': 1}, '1.01', None),
        ],
    )
    def test_convert(self, kwargs: dict[str, Any], value: str, expected: float | None) -> None:
        assert FloatConverter(**kwargs).convert(value) == expected

    def test_nan_is_accepted_when_not_finite(self) -> None:
        result = FloatConverter(finite=False).convert('nan')
        assert result is not None and math.isnan(result)

    def test_finite_none_means_the_default(self) -> None:
        assert FloatConverter(finite=None).convert('nan') is None
        assert FloatConverter(finite=None).convert('inf') is None


class TestUUIDConverter:
    EXAMPLE = uuid.UUID('6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5b')

    @pytest.mark.parametrize(
        'value',
        [
            '6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5b',
            '6F1C2A3E-0B4D-4E5F-8A9B-0C1D2E3F4A5B',
            '6f1c2a3e0b4d4e5f8a9b0c1d2e3f4a5b',
            '{6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5b}',
            'urn:uuid:6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5b',
        ],
    )
    def test_accepted_spellings(self, value: str) -> None:
        assert UUIDConverter().convert(value) == self.EXAMPLE

    @pytest.mark.parametrize(
        'value',
        ['', 'x', '6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5', '6f1c2a3e-0b4d-4e5f-8a9b-0c1d2e3f4a5bb'],
    )
    def test_rejected(self, value: str) -> None:
        assert UUIDConverter().convert(value) is None


class TestDateTimeConverter:
    def test_default_format_is_aware(self) -> None:
        value = DateTimeConverter().convert('2024-03-01T12:30:00+0200')
        assert value == datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))

    def test_default_format_requires_an_offset(self) -> None:
        assert DateTimeConverter().convert('2024-03-01T12:30:00') is None

    def test_custom_format(self) -> None:
        assert DateTimeConverter('%Y-%m-%d').convert('2024-03-01') == datetime(2024, 3, 1)

    @pytest.mark.parametrize('value', ['', 'yesterday', '2024-13-01', '2024-03-01 ', ' 2024-03-01'])
    def test_rejected(self, value: str) -> None:
        assert DateTimeConverter('%Y-%m-%d').convert(value) is None


class TestRegexConverter:
    @pytest.mark.parametrize(
        ('pattern', 'value', 'expected'),
        [
            (r'[a-z]+', 'abc', 'abc'),
            (r'\d{3}-\d{2}', '123-45', '123-45'),
            (r'', '', ''),
            (r'[a-z]+', 'abc1', None),
            (r'[a-z]+', '1abc', None),
            (r'abc', 'abc\n', None),
            (r'\d+', '', None),
        ],
    )
    def test_whole_value_must_match(self, pattern: str, value: str, expected: str | None) -> None:
        assert RegexConverter(pattern).convert(value) == expected

    def test_group_becomes_the_value(self) -> None:
        converter = RegexConverter(r'item-(?P<id>\d+)(?:-(?P<rev>r\d+))?', group='rev')
        assert converter.convert('item-7-r2') == 'r2'
        # The group took no part in the match: a rejection, not an empty value.
        assert converter.convert('item-7') is None
        assert converter.convert('other') is None

    @pytest.mark.parametrize('pattern', ['[', '(?P<x>', 'a{2,1}', '\\'])
    def test_invalid_pattern_names_it(self, pattern: str) -> None:
        with pytest.raises(ValueError, match='invalid regex pattern for RegexConverter') as info:
            RegexConverter(pattern)
        assert repr(pattern) in str(info.value)

    def test_bytes_pattern_is_refused(self) -> None:
        with pytest.raises(ValueError, match='expected a str pattern'):
            RegexConverter(b'abc')  # type: ignore[arg-type]

    def test_unknown_group_is_refused(self) -> None:
        with pytest.raises(ValueError, match="does not contain named group 'nope'"):
            RegexConverter(r'(?P<yes>a)', group='nope')

    def test_in_a_template(self) -> None:
        router = CompiledRouter()
        router.add_route('/codes/{code:re("[A-Z][A-Z]")}', Resource('iso'))
        router.add_route(r'/v{major:re("\d+", group=None)}.x', Resource('version'))
        router.add_route(r'/items/{id:re(pattern="n(?P<num>\d+)", group="num")}', Resource('n'))
        assert matched(router, '/codes/FR') == ('iso', {'code': 'FR'})
        assert matched(router, '/codes/fr') is None
        assert matched(router, '/codes/FRA') is None
        assert matched(router, '/v12.x') == ('version', {'major': '12'})
        assert matched(router, '/items/n42') == ('n', {'id': '42'})
        assert matched(router, '/items/42') is None

    def test_bad_pattern_fails_at_add_route(self) -> None:
        with pytest.raises(UnacceptableRouteError, match='Cannot instantiate converter "re"'):
            CompiledRouter().add_route('/{x:re("(")}', Resource())

    def test_reverse_routing(self) -> None:
        router = CompiledRouter()
        router.add_route('/codes/{code:re("[A-Z][A-Z]")}', Resource(), name='code')
        assert router.url_for('code', code='FR') == '/codes/FR'


class TestPathConverter:
    def test_joins_segments(self) -> None:
        assert PathConverter.CONSUME_MULTIPLE_SEGMENTS is True
        assert PathConverter().convert(['a', 'b', '']) == 'a/b/'
        assert PathConverter().convert(['']) == ''


def test_base_converter_is_abstract() -> None:
    assert BaseConverter.CONSUME_MULTIPLE_SEGMENTS is False
    with pytest.raises(TypeError):
        BaseConverter()  # type: ignore[abstract]

    class Incomplete(BaseConverter):
        pass

    with pytest.raises(TypeError):
        Incomplete()  # type: ignore[abstract]


def test_builtin_registry() -> None:
    names = dict(converters_module.BUILTIN)
    assert names == {
        'int': IntConverter,
        'dt': DateTimeConverter,
        'uuid': UUIDConverter,
        'float': FloatConverter,
        'path': PathConverter,
        're': RegexConverter,
    }
    assert dict(CompiledRouterOptions().converters) == names


class TestCustomConverters:
    def test_subclass_of_base_converter_with_arguments(self) -> None:
        class Choice(BaseConverter):
            def __init__(self, *choices: str) -> None:
                self._choices = choices

            def convert(self, value: str) -> str | None:
                return value.upper() if value in self._choices else None

        router = CompiledRouter()
        router.options.converters['choice'] = Choice
        router.add_route('/colour/{c:choice("red", "green")}', Resource('r'))
        assert matched(router, '/colour/red') == ('r', {'c': 'RED'})
        assert matched(router, '/colour/blue') is None

    def test_any_class_with_convert_works(self) -> None:
        class Reverse:
            def convert(self, value: str) -> str:
                return value[::-1]

        router = CompiledRouter()
        router.options.converters['rev'] = Reverse
        router.add_route('/r/{word:rev}', Resource('r'))
        assert matched(router, '/r/abc') == ('r', {'word': 'cba'})

    def test_falsy_results_are_values_not_rejections(self) -> None:
        class Zero(BaseConverter):
            def convert(self, value: str) -> int:
                return 0

        router = CompiledRouter()
        router.options.converters['zero'] = Zero
        router.add_route('/z/{v:zero}', Resource('r'))
        assert matched(router, '/z/anything') == ('r', {'v': 0})

    def test_custom_multi_segment_converter(self) -> None:
        class Parts(BaseConverter):
            CONSUME_MULTIPLE_SEGMENTS = True

            def convert(self, value: list[str]) -> list[str] | None:
                return list(value) if all(value) else None

        router = CompiledRouter()
        router.options.converters['parts'] = Parts
        router.add_route('/tree/{parts:parts}', Resource('r'))
        assert matched(router, '/tree/a/b/c') == ('r', {'parts': ['a', 'b', 'c']})
        assert matched(router, '/tree/a//c') is None
        with pytest.raises(UnacceptableRouteError, match='will consume all the path'):
            router.add_route('/tree2/{p:parts}/x', Resource())

    def test_converters_in_complex_segments(self) -> None:
        router = CompiledRouter()
        router.add_route('/img/{w:int}x{h:int}.{fmt}', Resource('r'))
        assert matched(router, '/img/640x480.png') == ('r', {'w': 640, 'h': 480, 'fmt': 'png'})
        assert matched(router, '/img/640xabc.png') is None

    def test_one_instance_per_field_occurrence(self) -> None:
        created: list[object] = []

        class Counting(BaseConverter):
            def __init__(self) -> None:
                created.append(self)

            def convert(self, value: str) -> str:
                return value

        router = CompiledRouter()
        router.options.converters['counting'] = Counting
        router.add_route('/a/{x:counting}/{y:counting}', Resource('r'))
        assert len(created) == 2
        for _ in range(3):
            assert matched(router, '/a/1/2') == ('r', {'x': '1', 'y': '2'})
        assert len(created) == 2

    def test_converter_must_be_registered_before_the_route(self) -> None:
        class Anything(BaseConverter):
            def convert(self, value: str) -> str:
                return value

        router = CompiledRouter()
        with pytest.raises(UnacceptableRouteError, match=r"converter 'late' .* is not registered"):
            router.add_route('/x/{v:late}', Resource())
        router.options.converters['late'] = Anything
        router.add_route('/x/{v:late}', Resource('r'))
        assert matched(router, '/x/1') == ('r', {'v': '1'})

    def test_builtin_names_can_be_overridden(self) -> None:
        class HexInt(BaseConverter):
            def convert(self, value: str) -> int | None:
                try:
                    return int(value, 16)
                except ValueError:
                    return None

        router = CompiledRouter()
        router.options.converters['int'] = HexInt
        router.add_route('/h/{v:int}', Resource('r'))
        assert matched(router, '/h/ff') == ('r', {'v': 255})

    def test_converter_instance_without_convert_is_rejected(self) -> None:
        class NotAConverter:
            pass

        router = CompiledRouter()
        router.options.converters['bad'] = NotAConverter
        with pytest.raises(UnacceptableRouteError, match='no convert'):
            router.add_route('/b/{v:bad}', Resource())


class TestConverterDict:
    @pytest.mark.parametrize('name', ['', '1abc', 'a-b', 'a b', 'é', 'int()', 5])
    def test_invalid_names_are_rejected(self, name: Any) -> None:
        options = CompiledRouterOptions()
        with pytest.raises(ValueError, match='Invalid converter name'):
            options.converters[name] = IntConverter
        with pytest.raises(ValueError, match='Invalid converter name'):
            options.converters.update({name: IntConverter})
        with pytest.raises(ValueError, match='Invalid converter name'):
            options.converters.setdefault(name, IntConverter)
        assert name not in options.converters

    def test_update_with_keywords_and_pairs(self) -> None:
        options = CompiledRouterOptions()
        options.converters.update([('a1', IntConverter)], b_2=FloatConverter)
        assert options.converters['a1'] is IntConverter
        assert options.converters['b_2'] is FloatConverter

    def test_update_is_all_or_nothing(self) -> None:
        options = CompiledRouterOptions()
        with pytest.raises(ValueError):
            options.converters.update({'good': IntConverter, 'b-ad': IntConverter})
        assert 'good' not in options.converters

    def test_value_must_be_callable(self) -> None:
        options = CompiledRouterOptions()
        with pytest.raises(TypeError, match='must be a class'):
            options.converters['x'] = 'IntConverter'

    def test_converters_attribute_cannot_be_reassigned(self) -> None:
        options = CompiledRouterOptions()
        with pytest.raises(AttributeError, match='Cannot set "converters": update it in place'):
            options.converters = {}  # type: ignore[misc]

    def test_options_defaults(self) -> None:
        options = CompiledRouter().options
        assert isinstance(options, CompiledRouterOptions)
        assert options.default_to_on_request is False
        with pytest.raises(AttributeError):
            options.something_else = 1  # type: ignore[attr-defined]
