"""Query parameters: parsing options and every ``get_param*`` helper, on WSGI and ASGI."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
import math
from typing import Any
import uuid

from _reqresp import environ, make_request
import pytest

import lanner
from lanner import errors


def _opts(keep_blank: bool = True, csv: bool = False) -> lanner.RequestOptions:
    options = lanner.RequestOptions()
    options.keep_blank_qs_values = keep_blank
    options.auto_parse_qs_csv = csv
    return options


def _invalid(info: pytest.ExceptionInfo[errors.HTTPInvalidParam], name: str, msg: str) -> None:
    assert info.value.status_code == 400
    assert info.value.title == 'Invalid parameter'
    assert info.value.description == f'The "{name}" parameter is invalid. {msg}'


# -- parsing -----------------------------------------------------------------------------------


def test_defaults_keep_blank_and_no_csv(asgi: bool) -> None:
    req = make_request(asgi, query_string='id=1,2,,&id=3&blank=&flag')
    assert req.get_param('id') == '3'
    assert req.get_param_as_list('id') == ['1,2,,', '3']
    assert req.params['blank'] == ''
    assert req.params['flag'] == ''
    assert req.has_param('flag')
    assert not req.has_param('nope')


def test_csv_without_keep_blank(asgi: bool) -> None:
    req = make_request(asgi, query_string='id=23,42,,&id=2&e=', options=_opts(False, True))
    assert req.params['id'] == ['23', '42', '2']
    assert 'e' not in req.params


def test_csv_with_keep_blank(asgi: bool) -> None:
    req = make_request(asgi, query_string='t=1,,2&t=3,4', options=_opts(True, True))
    assert req.get_param_as_list('t') == ['1', '', '2', '3', '4']


def test_csv_split_before_percent_decoding(asgi: bool) -> None:
    req = make_request(asgi, query_string='a=x%2Cy,z', options=_opts(True, True))
    assert req.params['a'] == ['x,y', 'z']


def test_plus_and_percent_decoding(asgi: bool) -> None:
    req = make_request(asgi, query_string='a+b=c+d&e=%E2%82%AC&x=%%20%+%')
    assert req.params['a b'] == 'c d'
    assert req.params['e'] == '€'
    assert req.get_param('x') == '% % %'


def test_invalid_percent_escapes_are_kept(asgi: bool) -> None:
    req = make_request(asgi, query_string='q=%zz%4&r=%ff')
    assert req.get_param('q') == '%zz%4'
    assert req.get_param('r') == '\ufffd'


def test_empty_key_and_value_dropped_but_empty_key_kept(asgi: bool) -> None:
    req = make_request(asgi, query_string='=&=foo&&a=1')
    assert req.params == {'': 'foo', 'a': '1'}


def test_json_value_with_commas_kept_when_csv_off(asgi: bool) -> None:
    req = make_request(asgi, query_string='q=%7B%22a%22%3A%5B1%2C2%5D%7D')
    assert req.get_param('q') == '{"a":[1,2]}'


def test_options_changed_later_do_not_reparse(asgi: bool) -> None:
    options = _opts()
    req = make_request(asgi, query_string='a=1,2', options=options)
    assert req.params == {'a': '1,2'}
    options.auto_parse_qs_csv = True
    assert req.params == {'a': '1,2'}


def test_params_are_parsed_lazily(asgi: bool) -> None:
    req = make_request(asgi, query_string='a=1')
    assert 'params' not in req.__dict__
    assert req.get_param('a') == '1'
    assert 'params' in req.__dict__


# -- get_param ---------------------------------------------------------------------------------


def test_get_param_required_default_store(asgi: bool) -> None:
    req = make_request(asgi, query_string='a=1')
    store: dict[str, Any] = {}
    assert req.get_param('a', store=store) == '1'
    assert store == {'a': '1'}
    assert req.get_param('b', default='x', store=store) == 'x'
    assert store == {'a': '1'}
    with pytest.raises(errors.HTTPMissingParam) as info:
        req.get_param('b', required=True)
    assert info.value.status_code == 400
    assert info.value.title == 'Missing parameter'
    assert info.value.description == 'The "b" parameter is required.'


def test_get_param_names_are_case_sensitive(asgi: bool) -> None:
    req = make_request(asgi, query_string='Name=1')
    assert req.get_param('name') is None
    assert req.get_param('Name') == '1'


_HELPERS_AND_VALUES = [
    ('get_param', '7', '7'),
    ('get_param_as_int', '7', 7),
    ('get_param_as_float', '0.5', 0.5),
    ('get_param_as_bool', 'yes', True),
    ('get_param_as_uuid', '1' * 32, uuid.UUID('1' * 32)),
    (
        'get_param_as_datetime',
        '2020-02-03T04:05:06Z',
        datetime(2020, 2, 3, 4, 5, 6, 0, timezone.utc),
    ),
    ('get_param_as_date', '2020-02-03', date(2020, 2, 3)),
    ('get_param_as_json', '%5B3%5D', [3]),
    ('get_param_as_media', '%7B%7D', {}),
]


@pytest.mark.parametrize(('method', 'raw', 'expected'), _HELPERS_AND_VALUES)
def test_allow_multiple_false_refuses_a_repeated_parameter(
    asgi: bool, method: str, raw: str, expected: Any
) -> None:
    req = make_request(asgi, query_string=f'p={raw}&p={raw}&one={raw}')
    helper = getattr(req, method)
    # The default still picks one of the values; False refuses instead of guessing.
    assert helper('p') == expected
    assert helper('p', allow_multiple=True) == expected
    with pytest.raises(errors.HTTPInvalidParam) as info:
        helper('p', allow_multiple=False)
    _invalid(info, 'p', 'It may not have more than one value.')
    store: dict[str, Any] = {}
    assert helper('one', allow_multiple=False, store=store) == expected
    assert store == {'one': expected}
    assert helper('absent', allow_multiple=False, default='d') == 'd'
    with pytest.raises(errors.HTTPMissingParam):
        helper('absent', allow_multiple=False, required=True)


def test_allow_multiple_false_counts_csv_values(asgi: bool) -> None:
    req = make_request(asgi, query_string='p=1,2&q=3', options=_opts(csv=True))
    with pytest.raises(errors.HTTPInvalidParam):
        req.get_param('p', allow_multiple=False)
    assert req.get_param('q', allow_multiple=False) == '3'


def test_allow_multiple_false_is_a_400_response(asgi: bool, client: Any) -> None:
    def respond(req: Any, resp: Any) -> None:
        resp.text = req.get_param('p', allow_multiple=False)

    class Resource:
        if asgi:

            async def on_get(self, req: Any, resp: Any) -> None:
                respond(req, resp)

        else:

            def on_get(self, req: Any, resp: Any) -> None:
                respond(req, resp)

    client.app.add_route('/', Resource())
    assert client.get('/', query_string='p=1').text == '1'
    result = client.get('/', query_string='p=1&p=1')
    assert result.status_code == 400
    assert result.json['description'] == (
        'The "p" parameter is invalid. It may not have more than one value.'
    )


def test_csv_value_of_only_commas_is_an_empty_list(asgi: bool) -> None:
    req = make_request(asgi, query_string='e=,,&x=', options=_opts(False, True))
    assert req.get_param_as_list('e') == []
    assert 'x' not in req.params
    # No value to pick: absent for get_param (not an IndexError, which would be a 500).
    assert req.get_param('e') is None
    assert req.get_param('e', default='d') == 'd'
    with pytest.raises(errors.HTTPMissingParam):
        req.get_param('e', required=True)


# -- numbers -----------------------------------------------------------------------------------


def test_get_param_as_int(asgi: bool) -> None:
    query = 'n=42&neg=-7&pos=%2B3&bad=4.5&txt=abc&blank=&many=1&many=2'  # %2B: a '+' sign
    req = make_request(asgi, query_string=query)
    assert req.get_param_as_int('n') == 42
    assert req.get_param_as_int('neg') == -7
    assert req.get_param_as_int('pos') == 3
    assert req.get_param_as_int('many') == 2
    assert req.get_param_as_int('missing') is None
    assert req.get_param_as_int('missing', default='foo') == 'foo'
    for name in ('bad', 'txt', 'blank'):
        with pytest.raises(errors.HTTPInvalidParam) as info:
            req.get_param_as_int(name)
        _invalid(info, name, 'The value must be an integer.')
    with pytest.raises(errors.HTTPMissingParam):
        req.get_param_as_int('missing', required=True)


def test_get_param_as_int_rejects_exotic_digits_and_huge_values(asgi: bool) -> None:
    req = make_request(asgi, query_string='u=1_000&a=%D9%A3&h=' + '9' * 5000 + '&ok=' + '9' * 100)
    for name in ('u', 'a', 'h'):
        with pytest.raises(errors.HTTPInvalidParam):
            req.get_param_as_int(name)
    assert req.get_param_as_int('ok') == int('9' * 100)


@pytest.mark.parametrize(
    'raw',
    ['%201%20', '1%20', '%091', '1%0A', '1_000', '%EF%BC%91', '%D9%A3', '+', '-', '+-1', '1.0'],
    ids=[
        'spaces',
        'trailing',
        'tab',
        'newline',
        'underscore',
        'fullwidth',
        'arabic',
        'plus',
        'minus',
        'signs',
        'decimal',
    ],
)
def test_get_param_as_int_is_strict_ascii(asgi: bool, raw: str) -> None:
    """Only [+-]?[0-9]+ in ASCII; whatever else int() would take is an invalid param (400)."""
    req = make_request(asgi, query_string=f'n={raw}&ok=-042&plus=%2B7')
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_int('n')
    _invalid(info, 'n', 'The value must be an integer.')
    assert req.get_param_as_int('ok') == -42 and req.get_param_as_int('plus') == 7


def test_get_param_as_int_bounds(asgi: bool) -> None:
    req = make_request(asgi, query_string='n=5')
    store: dict[str, Any] = {}
    assert req.get_param_as_int('n', min_value=5, max_value=5, store=store) == 5
    assert store == {'n': 5}
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_int('n', min_value=6, store=store)
    _invalid(info, 'n', 'The value must be at least 6')
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_int('n', max_value=4)
    _invalid(info, 'n', 'The value may not exceed 4')
    assert store == {'n': 5}


def test_get_param_as_float(asgi: bool) -> None:
    req = make_request(asgi, query_string='f=1.5&i=2&nan=nan&inf=-inf&bad=x&e=1e3')
    assert req.get_param_as_float('f') == 1.5
    assert req.get_param_as_float('i') == 2.0
    assert math.isnan(req.get_param_as_float('nan'))
    assert req.get_param_as_float('inf') == -math.inf
    assert req.get_param_as_float('e') == 1000.0
    assert req.get_param_as_float('missing', default=0.5) == 0.5
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_float('bad')
    _invalid(info, 'bad', 'The value must be a float.')
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_float('f', min_value=2.0)
    _invalid(info, 'f', 'The value must be at least 2.0')
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_float('f', max_value=1.0)
    _invalid(info, 'f', 'The value may not exceed 1.0')


def test_get_param_as_uuid(asgi: bool) -> None:
    value = uuid.uuid4()
    req = make_request(
        asgi,
        query_string=f'a={value}&b={value.hex.upper()}&bad=not-a-uuid',
    )
    assert req.get_param_as_uuid('a') == value
    assert req.get_param_as_uuid('b') == value
    assert req.get_param_as_uuid('missing') is None
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_uuid('bad')
    _invalid(info, 'bad', 'The value must be a UUID string.')


# -- bool --------------------------------------------------------------------------------------


@pytest.mark.parametrize('value', ['true', 'True', 't', 'yes', 'y', '1', 'on'])
def test_get_param_as_bool_true(asgi: bool, value: str) -> None:
    assert make_request(asgi, query_string=f'b={value}').get_param_as_bool('b') is True


@pytest.mark.parametrize('value', ['false', 'False', 'f', 'no', 'n', '0', 'off'])
def test_get_param_as_bool_false(asgi: bool, value: str) -> None:
    assert make_request(asgi, query_string=f'b={value}').get_param_as_bool('b') is False


def test_get_param_as_bool_blank_and_invalid(asgi: bool) -> None:
    req = make_request(asgi, query_string='blank=&bad=TRUE&odd=maybe')
    assert req.get_param_as_bool('blank') is True
    assert req.get_param_as_bool('blank', blank_as_true=False) is False
    assert req.get_param_as_bool('missing') is None
    assert req.get_param_as_bool('missing', default=False) is False
    for name in ('bad', 'odd'):
        with pytest.raises(errors.HTTPInvalidParam) as info:
            req.get_param_as_bool(name)
        assert '"true" or "false"' in info.value.description
    store: dict[str, Any] = {}
    req.get_param_as_bool('blank', store=store)
    assert store == {'blank': True}


# -- lists -------------------------------------------------------------------------------------


def test_get_param_as_list(asgi: bool) -> None:
    req = make_request(asgi, query_string='a=1&a=2&s=x,y&n=1&n=x')
    assert req.get_param_as_list('a') == ['1', '2']
    assert req.get_param_as_list('s') == ['x,y']
    assert req.get_param_as_list('a', transform=int) == [1, 2]
    assert req.get_param_as_list('missing') is None
    assert req.get_param_as_list('missing', default=[]) == []
    with pytest.raises(errors.HTTPMissingParam):
        req.get_param_as_list('missing', required=True)
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_list('n', transform=int)
    _invalid(info, 'n', 'The value is not formatted correctly.')
    store: dict[str, Any] = {}
    req.get_param_as_list('a', store=store)
    assert store == {'a': ['1', '2']}


@pytest.mark.parametrize(
    ('delimiter', 'query', 'expected'),
    [
        (',', 'v=a,b,,c', ['a', 'b', '', 'c']),
        ('|', 'v=a|b', ['a', 'b']),
        ('pipeDelimited', 'v=a%7Cb', ['a', 'b']),
        (' ', 'v=a+b%20c', ['a', 'b', 'c']),
        ('spaceDelimited', 'v=a%20b', ['a', 'b']),
        (',', 'v=a&v=b,c', ['a', 'b,c']),
    ],
)
def test_get_param_as_list_delimiter(
    asgi: bool, delimiter: str, query: str, expected: list[str]
) -> None:
    req = make_request(asgi, query_string=query, options=_opts(keep_blank=False))
    assert req.get_param_as_list('v', delimiter=delimiter) == expected


def test_get_param_as_list_unsupported_delimiter_is_value_error(asgi: bool) -> None:
    req = make_request(asgi, query_string='v=a;b')
    with pytest.raises(ValueError, match='Unsupported delimiter'):
        req.get_param_as_list('v', delimiter=';')


# -- dates -------------------------------------------------------------------------------------


def test_get_param_as_datetime(asgi: bool) -> None:
    req = make_request(asgi, query_string='t=2024-05-06T07:08:09%2B0200&d=2024-05-06&bad=yesterday')
    assert req.get_param_as_datetime('t') == datetime(
        2024, 5, 6, 7, 8, 9, tzinfo=timezone(timedelta(hours=2))
    )
    assert req.get_param_as_datetime('d', format_string='%Y-%m-%d') == datetime(2024, 5, 6)
    assert req.get_param_as_datetime('missing') is None
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_datetime('bad')
    _invalid(info, 'bad', 'The date value does not match the required format.')


def test_get_param_as_date(asgi: bool) -> None:
    req = make_request(asgi, query_string='d=2024-05-06&us=05/06/2024&bad=2024-13-01')
    assert req.get_param_as_date('d') == date(2024, 5, 6)
    assert req.get_param_as_date('us', format_string='%m/%d/%Y') == date(2024, 5, 6)
    store: dict[str, Any] = {}
    assert req.get_param_as_date('missing', store=store, default='x') == 'x'
    assert store == {}
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_date('bad')
    _invalid(info, 'bad', 'The date value does not match the required format.')


# -- media -------------------------------------------------------------------------------------


def test_get_param_as_json(asgi: bool) -> None:
    req = make_request(asgi, query_string='j=%7B%22a%22%3A+%5B1%2C2%5D%7D&bad=%7Bnope&e=')
    assert req.get_param_as_json('j') == {'a': [1, 2]}
    assert req.get_param_as_json('missing', default={}) == {}
    for name in ('bad', 'e'):
        with pytest.raises(errors.HTTPInvalidParam) as info:
            req.get_param_as_json(name)
        _invalid(info, name, "It could not be deserialized as 'application/json'.")


def test_get_param_as_json_without_registered_json_handler(asgi: bool) -> None:
    options = lanner.RequestOptions()
    options.media_handlers = lanner.media.Handlers({})
    req = make_request(asgi, query_string='j=%5B1%5D', options=options)
    assert req.get_param_as_json('j') == [1]


def test_get_param_as_json_uses_the_json_handler_not_the_default_media_type(asgi: bool) -> None:
    options = lanner.RequestOptions()
    handler = lanner.media.JSONHandler()
    options.media_handlers = lanner.media.Handlers(
        {
            'application/json': handler,
            'application/x-www-form-urlencoded': lanner.media.URLEncodedFormHandler(),
        }
    )
    options.default_media_type = 'application/x-www-form-urlencoded'
    req = make_request(asgi, query_string='j=%5B1%5D', options=options)
    assert req.get_param_as_json('j') == [1]
    # Code written for Falcon swaps the loads function of a live handler; it is honoured.
    handler._loads = lambda text: {'swapped': text}
    assert req.get_param_as_json('j') == {'swapped': '[1]'}


def test_get_param_as_media_missing_parameter_needs_no_handler(asgi: bool) -> None:
    req = make_request(asgi, query_string='x=1')
    assert req.get_param_as_media('absent', 'application/yaml', default=5) == 5


def test_get_param_as_media(asgi: bool) -> None:
    req = make_request(asgi, query_string='f=a%3D1%26b%3D2&j=%5Btrue%5D')
    assert req.get_param_as_media('j') == [True]
    assert req.get_param_as_media('f', 'application/x-www-form-urlencoded') == {
        'a': '1',
        'b': '2',
    }
    with pytest.raises(ValueError, match='No media handler is configured'):
        req.get_param_as_media('j', 'application/yaml')
    store: dict[str, Any] = {}
    req.get_param_as_media('j', store=store)
    assert store == {'j': [True]}


def test_get_query_string_as_media(asgi: bool) -> None:
    req = make_request(asgi, query_string='%7B%22a%22%3A%22x+y%22%7D')
    # '+' is not turned into a space.
    assert req.get_query_string_as_media() == {'a': 'x+y'}
    empty = make_request(asgi)
    with pytest.raises(errors.MediaNotFoundError):
        empty.get_query_string_as_media()
    assert empty.get_query_string_as_media(default_when_empty={}) == {}
    bad = make_request(asgi, query_string='%7Bbroken')
    with pytest.raises(errors.MediaMalformedError):
        bad.get_query_string_as_media()
    with pytest.raises(ValueError, match='No media handler is configured'):
        req.get_query_string_as_media('application/yaml')


# -- dict --------------------------------------------------------------------------------------


def test_get_param_as_dict_pairs(asgi: bool) -> None:
    req = make_request(asgi, query_string='d=a&d=1&d=b&d=2&odd=a,b,c&s=k,v')
    assert req.get_param_as_dict('d') == {'a': '1', 'b': '2'}
    assert req.get_param_as_dict('s', delimiter=',') == {'k': 'v'}
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_dict('odd', delimiter=',')
    _invalid(info, 'odd', 'The number of list elements must be even.')
    assert req.get_param_as_dict('missing') is None
    with pytest.raises(errors.HTTPMissingParam):
        req.get_param_as_dict('missing', required=True)


def test_get_param_as_dict_csv_option(asgi: bool) -> None:
    req = make_request(asgi, query_string='d=x,1,y,2', options=_opts(csv=True))
    assert req.get_param_as_dict('d') == {'x': '1', 'y': '2'}


def test_get_param_as_dict_deep_object(asgi: bool) -> None:
    req = make_request(asgi, query_string='f[color]=red&f[size]=L&f[size]=XL&f=x&f[]=y&g=1')
    store: dict[str, Any] = {}
    # f[] is the empty key, as in Falcon; a bare f is not part of the object.
    assert req.get_param_as_dict('f', deep_object=True, store=store) == {
        'color': 'red',
        'size': 'L',
        '': 'y',
    }
    assert store == {'f': {'color': 'red', 'size': 'L', '': 'y'}}
    assert req.get_param_as_dict('g', deep_object=True, default='none') == 'none'
    with pytest.raises(errors.HTTPMissingParam):
        req.get_param_as_dict('g', deep_object=True, required=True)


def test_get_param_as_dict_deep_object_allow_multiple(asgi: bool) -> None:
    req = make_request(asgi, query_string='f[size]=L&f[size]=XL&f[c]=red')
    assert req.get_param_as_dict('f', deep_object=True) == {'size': 'L', 'c': 'red'}
    with pytest.raises(errors.HTTPInvalidParam) as info:
        req.get_param_as_dict('f', deep_object=True, allow_multiple=False)
    _invalid(info, 'f', 'The "f[size]" key may not have multiple values.')
    csv = make_request(asgi, query_string='g[k]=1,2&h[k]=1', options=_opts(csv=True))
    assert csv.get_param_as_dict('g', deep_object=True) == {'k': '1'}
    with pytest.raises(errors.HTTPInvalidParam):
        csv.get_param_as_dict('g', deep_object=True, allow_multiple=False)
    assert csv.get_param_as_dict('h', deep_object=True, allow_multiple=False) == {'k': '1'}
    # A value of only commas is no value (not an IndexError, which would be a 500).
    empty = make_request(asgi, query_string='e[k]=,,', options=_opts(False, True))
    assert empty.get_param_as_dict('e', deep_object=True) is None
    # The pair form always reads several values, so the keyword does not apply to it.
    pairs = make_request(asgi, query_string='d=a&d=1')
    assert pairs.get_param_as_dict('d', allow_multiple=False) == {'a': '1'}


# -- deprecated form merging (WSGI only) -------------------------------------------------------


def _form_options() -> lanner.RequestOptions:
    options = lanner.RequestOptions()
    with pytest.warns(lanner.util.deprecation.DeprecatedWarning):
        options.auto_parse_form_urlencoded = True
    return options


def test_auto_parse_form_urlencoded_merges_body_into_params() -> None:
    body = b'a=2&b=x+y'
    env = environ(
        method='POST',
        query_string='a=1',
        headers={
            'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
            'Content-Length': str(len(body)),
        },
        body=body,
    )
    req = lanner.Request(env, _form_options())
    assert req.params == {'a': ['1', '2'], 'b': 'x y'}


@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_auto_parse_form_urlencoded_skips_get_and_head(method: str) -> None:
    body = b'a=2'
    env = environ(
        method=method,
        headers={'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '3'},
        body=body,
    )
    req = lanner.Request(env, _form_options())
    assert req.params == {}


def test_auto_parse_form_urlencoded_ignores_non_ascii_body_with_logged_error() -> None:
    body = 'a=é'.encode()
    env = environ(
        method='POST',
        headers={
            'Content-Type': 'application/x-www-form-urlencoded',
            'Content-Length': str(len(body)),
        },
        body=body,
    )
    req = lanner.Request(env, _form_options())
    assert req.params == {}
    assert 'Non-ASCII' in env['wsgi.errors'].getvalue()


def test_auto_parse_form_urlencoded_invalid_length_is_ignored() -> None:
    env = environ(
        method='POST',
        headers={'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': 'x'},
        body=b'a=1',
    )
    req = lanner.Request(env, _form_options())
    assert req.params == {}
