"""The OpenAPI document's global rules, so that every API view documents the same way.

``AutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds to each operation the error
answers the view can really give, read from the view itself, each with its body as a shared
component (the bodies ``marketplace.core.api.errors.exception_handler`` returns):

- 400 ``ValidationError`` on writes (POST, PUT, PATCH) and on reads that take query
  parameters (``page_size`` included);
- 401 ``Error`` when the view authenticates (a missing, bad or expired token);
- 403 ``Error`` when a permission may refuse (anything but ``AllowAny``), when the operation
  takes the ``X-Company`` header (a company that is not yours), and on writes that session
  cookies may make (CSRF);
- 404 ``Error`` when the path has a parameter, and on paginated lists (a page out of range);
- 409 ``ConflictError`` on actions (``POST .../{id}/<action>/`` without a ``GET``): a status
  that does not allow it;
- 429 ``Error`` (with ``Retry-After``) when the view is throttled.

Where a service, not the serializer, checks a value (so that its messages stay the
service's), ``documented(field, maxLength=120, ...)`` adds the service's constraints to the
field's schema: what the document allows is what the API accepts.

A view's own ``extend_schema(responses={...})`` entry for a code keeps its description and
schema; one with a description only (``OpenApiResponse(description=...)``) gets the shared
body. Operation ids drop the ``v1_`` prefix (``SCHEMA_PATH_PREFIX``) and actions drop
``_create``: ``orders_confirm``, ``listings_submit``.
"""

from typing import Any

from django_countries import countries
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from rest_framework.authentication import SessionAuthentication
from rest_framework.fields import CharField, ChoiceField, DecimalField, Field
from rest_framework.permissions import AllowAny
from rest_framework.serializers import ListSerializer

JSON = "application/json"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
PAGE_PARAMETERS = frozenset({"page", "page_size"})
X_COMPANY = "X-Company"

_FIELD_MESSAGES: dict[str, Any] = {
    "oneOf": [
        {
            "type": "array",
            "items": {},
            "description": "Messages for this field (strings).",
        },
        {
            "type": "object",
            "additionalProperties": {},
            "description": "Field errors of a nested object, by its fields; of a list's "
            'items, by their index (`{"0": {"quantity": [...]}}`).',
        },
        {"type": "string", "description": "`detail`: one message about the whole request."},
    ]
}

ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    "Error": {
        "type": "object",
        "description": "An error about the whole request.",
        "properties": {
            "detail": {"type": "string", "description": "What went wrong, for people."},
            "code": {
                "type": "string",
                "description": "A stable code for programs, when there is one "
                "(e.g. `seller_not_verified`).",
            },
        },
        "required": ["detail"],
    },
    "ConflictError": {
        "type": "object",
        "description": "The object's current state does not allow this. A refused status "
        "change has the code `invalid_transition` and both statuses.",
        "properties": {
            "detail": {"type": "string"},
            "code": {"type": "string", "example": "invalid_transition"},
            "current_status": {"type": "string", "description": "The status it is in."},
            "requested_status": {"type": "string", "description": "The status asked for."},
        },
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": 'Errors by field: `{"quantity": ["Ensure this value is greater than '
        'or equal to 1."]}`; nested objects nest (`{"ship_to": {"country": [...]}}`), the '
        'items of a list by their index (`{"lines": {"0": {...}}}`); `non_field_errors` or '
        "`detail` for the whole request.",
        "additionalProperties": _FIELD_MESSAGES,
        "example": {"quantity": ["Ensure this value is greater than or equal to 1."]},
    },
}

_DESCRIPTIONS = {
    "400": "Invalid input: errors by field.",
    "401": "Not authenticated: no credentials, or a bad or expired token.",
    "403": "Not allowed: your company may not do this, or `X-Company` names a company that "
    "is not yours.",
    "404": "No such object among those you may see (or no such page).",
    "409": "The object's current status does not allow this.",
    "429": "Too many requests: wait for `Retry-After` seconds.",
}
_COMPONENT_FOR = {
    "400": "ValidationError",
    "401": "Error",
    "403": "Error",
    "404": "Error",
    "409": "ConflictError",
    "429": "Error",
}


# A value with something in it besides spaces (services strip text and refuse it empty). The
# class names the separators Python strips (\x1c-\x1f, \x85) that generators may not count
# as whitespace when they read ``\S``.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
COUNTRY_CHOICES = [(code, str(name)) for code, name in countries]
STYLE_KEY = "openapi_constraints"


def documented[F: Field](field: F, **constraints: Any) -> F:
    """``field``, whose OpenAPI schema also states ``constraints`` (JSON Schema keywords,
    e.g. ``maxLength=120, pattern=NOT_BLANK``) that the service behind it enforces;
    ``choices=[(value, label), ...]`` for an enum (named by ``ENUM_NAME_OVERRIDES``).

    Kept in the field's ``style`` (a constructor argument), since serializers deep-copy their
    declared fields by calling the constructor again."""
    style = {**field.style, STYLE_KEY: constraints}
    field.style = style
    field._kwargs["style"] = style  # type: ignore[attr-defined]
    return field


def _constraints(field: Any) -> dict[str, Any] | None:
    constraints = field.style.get(STYLE_KEY) if isinstance(field, Field) else None
    if not constraints or "choices" not in constraints:
        return constraints
    # An enum named and described as a ChoiceField of the same choices would be.
    constraints = dict(constraints)
    enum = build_choice_field(ChoiceField(choices=constraints.pop("choices")))
    enum.pop("description", None)
    return {**enum, **constraints}


def _decimal_string(field: DecimalField) -> dict[str, Any]:
    """A decimal field's input as DRF checks it: at least one digit, at most ``decimal_places``
    decimals and ``max_digits`` digits in all; no sign when the minimum is 0 or more, and not
    zero when it is more than 0 (drf-spectacular's own pattern also allows "" and "-")."""
    places = field.decimal_places or 0
    whole = (field.max_digits or 0) - places
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    fraction = rf"(\.[0-9]{{1,{places}}})?" if places else ""
    schema: dict[str, Any] = {"pattern": rf"^{sign}[0-9]{{1,{max(whole, 1)}}}{fraction}$"}
    if field.min_value is not None and field.min_value > 0:
        schema["not"] = {"pattern": r"^0*(\.0*)?$"}
    return schema


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, ListSerializer) and schema is not None:
            # DRF checks a nested list's length (min_length / max_length); say so.
            min_length = getattr(field, "min_length", None)  # not in the stubs
            max_length = getattr(field, "max_length", None)
            if min_length is not None:
                schema = {"minItems": min_length, **schema}
            if max_length is not None:
                schema = {"maxItems": max_length, **schema}
        if (
            isinstance(field, DecimalField)
            and direction == "request"
            and schema is not None
            and schema.get("type") == "string"
            and field.max_digits is not None
            and field.decimal_places is not None
        ):
            schema = {**schema, **_decimal_string(field)}
        if (
            type(field) is CharField
            and direction == "request"
            and schema is not None
            and schema.get("type") == "string"
            and "not" not in schema
        ):
            # DRF refuses a NUL character in any text (ProhibitNullCharactersValidator).
            schema = {**schema, "not": {"pattern": "\\u0000"}}
        constraints = _constraints(field)
        if constraints and schema is not None:
            schema = {**schema, **constraints}
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        constraints = _constraints(field)
        if not constraints:
            return
        alternatives = schema.get("oneOf")
        if constraints.get("pattern") == NOT_BLANK and alternatives:
            # allow_blank made it "this or an empty string": the service refuses blank.
            schema.pop("oneOf")
            schema.update(alternatives[0])
        schema.update(constraints)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        self._blank_query_means_absent(operation)
        responses = operation["responses"]
        for code in self.error_codes(operation):
            entry = responses.setdefault(code, {"description": _DESCRIPTIONS[code]})
            if not entry.get("content"):
                entry["content"] = {JSON: {"schema": self._error_ref(_COMPONENT_FOR[code])}}
            if code == "429":
                entry.setdefault("headers", {})["Retry-After"] = {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before trying again.",
                }
        # Explicit error answers without a body (e.g. a 502 from the payment gateway) get one.
        for code, entry in responses.items():
            if code.startswith(("4", "5")) and not entry.get("content"):
                entry["content"] = {JSON: {"schema": self._error_ref("Error")}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_codes(self, operation: dict[str, Any]) -> list[str]:
        """The error statuses this operation can answer with, from what its view does."""
        parameters = operation.get("parameters", [])
        has_path_parameter = any(p["in"] == "path" for p in parameters)
        query = {p["name"] for p in parameters if p["in"] == "query"}
        is_write = self.method in WRITE_METHODS
        authenticators = self.view.get_authenticators()
        permissions = self.view.get_permissions()
        codes = []
        if is_write or query:
            codes.append("400")
        if authenticators:
            codes.append("401")
        if (
            any(not isinstance(p, AllowAny) for p in permissions)
            or any(p["in"] == "header" and p["name"] == X_COMPANY for p in parameters)
            or (is_write and any(isinstance(a, SessionAuthentication) for a in authenticators))
        ):
            codes.append("403")
        if has_path_parameter or PAGE_PARAMETERS & query:
            codes.append("404")
        if self.is_action():
            codes.append("409")
        if self.view.get_throttles():
            codes.append("429")
        return codes

    @staticmethod
    def _blank_query_means_absent(operation: dict[str, Any]) -> None:
        """DRF reads an optional query parameter sent blank (``?status=``) as left out: the
        schema allows the empty string for those that are text."""
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            if parameter["in"] != "query" or parameter.get("required"):
                continue
            if schema.get("type") != "string":
                continue
            schema.pop("minLength", None)
            if "pattern" in schema and not schema["pattern"].startswith("^$|"):
                schema["pattern"] = f"^$|{schema['pattern']}"
            if "enum" in schema and "" not in schema["enum"]:
                schema["enum"] = [*schema["enum"], ""]

    def is_action(self) -> bool:
        """``POST .../{id}/<action>/`` on a view that lists nothing there (no ``GET``)."""
        segments = [s for s in self.path.strip("/").split("/") if s]
        return (
            self.method == "POST"
            and len(segments) >= 2
            and segments[-2].startswith("{")
            and not segments[-1].startswith("{")
            and not hasattr(self.view, "get")
        )

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        if self.is_action() and operation_id.endswith("_create"):
            operation_id = operation_id.removesuffix("_create")
        return operation_id

    def _error_ref(self, name: str) -> dict[str, str]:
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=f"marketplace.core.api.schema.{name}",
            schema=ERROR_COMPONENTS[name],
        )
        self.registry.register_on_missing(component)
        return component.ref
