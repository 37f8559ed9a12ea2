"""Row ids from untrusted input: ASCII digits within PostgreSQL's bigint, nothing else."""

import pytest
from django import forms
from rest_framework import serializers

from marketplace.core.ids import BIGINT_MAX, IdFormField, IdSerializerField, id_parse

# No rows needed, but tests/conftest.py seeds the test database for every session.
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("42", 42),
        (42, 42),
        ("9223372036854775807", 9_223_372_036_854_775_807),
        (BIGINT_MAX, 9_223_372_036_854_775_807),
        ("0042", 42),
    ],
)
def test_ascii_digits_and_ints_within_bigint_are_ids(value, expected):
    assert id_parse(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() is true, int() raises
        "٣",  # Arabic-Indic three: int() would read 3
        "３",  # full-width three
        "1²",
        "",
        " 7",
        "7 ",
        "+7",
        "-7",
        "0",
        "1e3",
        "7.0",
        "7\x00",
        "9223372036854775808",
        "1" + "0" * 30,
        "0" * 30 + "1",
        0,
        -1,
        2**63,
        10**30,
        True,
        False,
        None,
        7.0,
        [7],
        {"id": 7},
    ],
)
def test_anything_else_is_no_id(value):
    assert id_parse(value) is None


def test_the_form_field_refuses_a_unicode_digit_as_invalid():
    class Form(forms.Form):
        listing = IdFormField()

    assert Form({"listing": "²"}).errors == {"listing": ["Enter a valid id."]}
    assert Form({"listing": str(2**63)}).errors == {"listing": ["Enter a valid id."]}
    assert Form({"listing": ""}).errors == {"listing": ["This field is required."]}
    form = Form({"listing": " 12 "})
    assert form.is_valid()
    assert form.cleaned_data == {"listing": 12}


def test_the_serializer_field_refuses_strings_of_other_digits_bools_and_overflow():
    class Input(serializers.Serializer):
        listing = IdSerializerField()

    for bad in ["²", "٣", True, "0", "-3", [1], {"a": 1}, "1.5", str(10**30)]:
        data = Input(data={"listing": bad})
        assert not data.is_valid()
        assert data.errors == {"listing": ["A valid integer is required."]}, bad
    too_big = Input(data={"listing": 10**30})
    assert not too_big.is_valid()
    assert too_big.errors == {
        "listing": ["Ensure this value is less than or equal to 9223372036854775807."]
    }
    too_small = Input(data={"listing": 0})
    assert not too_small.is_valid()
    assert too_small.errors == {"listing": ["Ensure this value is greater than or equal to 1."]}
    good = Input(data={"listing": 12})
    assert good.is_valid()
    assert good.validated_data == {"listing": 12}
