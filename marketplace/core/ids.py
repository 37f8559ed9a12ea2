"""Row ids from untrusted input: the one place that turns text into a primary key.

Every id column is a PostgreSQL ``bigint``. An id from a form, a query string, JSON or
webhook metadata is accepted only as plain ASCII digits (or a Python ``int``) from 1 to
``BIGINT_MAX``: ``"²"``, ``"٣"``, ``"1e3"``, ``" 7"``, ``"-1"``, ``True`` and ``10**30``
are all "no such id" (``None``), never an exception and never a query that overflows.
``IdFormField`` and ``IdSerializerField`` put the same rule in forms and serializers.

An identifier made elsewhere (a Stripe object id, a document's verification code) goes
through ``opaque_id_parse`` before it reaches a query: ASCII letters, digits, ``_`` and
``-`` only, so a NUL byte (which PostgreSQL refuses with an error) names nothing.
"""

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

BIGINT_MAX = 2**63 - 1
# Identifiers made elsewhere (Stripe object ids, document verification codes): ASCII letters,
# digits, "_" and "-". Anything else (a NUL byte PostgreSQL refuses, a megabyte) names nothing.
_OPAQUE_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")


def id_parse(value: object) -> int | None:
    """``value`` as a positive bigint id, or ``None`` when it cannot be one."""
    if isinstance(value, bool):  # a bool is an int to Python, never an id
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 1 <= number <= BIGINT_MAX else None


def opaque_id_parse(value: object) -> str | None:
    """``value`` as an identifier made elsewhere (``pi_3Nx…``, ``acct_…``, a verification
    code), or ``None`` when it cannot be one."""
    if isinstance(value, str) and _OPAQUE_ID.fullmatch(value):
        return value
    return None


class IdFormField(forms.IntegerField):
    """A form field holding a row id: ASCII digits within bigint bounds, else "invalid"."""

    default_error_messages = {"invalid": "Enter a valid id."}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        number = id_parse(value.strip() if isinstance(value, str) else value)
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdSerializerField(serializers.IntegerField):
    """A DRF field holding a row id: a JSON integer (or ASCII digits) within bigint bounds.
    An integer out of bounds gets the min/max message; anything else "A valid integer"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        number = id_parse(data)
        if number is not None:
            return number
        if isinstance(data, int) and not isinstance(data, bool):
            return data  # out of bounds: the min/max validators say which
        self.fail("invalid")
