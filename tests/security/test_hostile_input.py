"""Hostile input to every HTML form and every API operation, as anonymous, buyer, seller and
staff: no answer is a server error, and a refusal (4xx) changes nothing.

The targets are enumerated, not listed: every URL pattern outside ``admin/`` and ``api/``
(each app's ``urls.py`` through ``marketplace/urls.py``), and every operation of the OpenAPI
document that ``/api/schema/`` serves. A new view or operation is fuzzed without touching this
file. The HTML forms' fields come from the pages themselves (every ``<form method="post">``
of every page each party can open, by its action) and from every form class of the project;
the API bodies follow each operation's request schema. Each example starts from a plausible
request (the party's own ids, a form as the page renders it) and makes it hostile: Unicode
digits, numbers beyond bigint, NUL bytes, a megabyte of text, wrong JSON types, fields left
out, other companies' ids, ids that cannot exist.

"Nothing changed" is a fingerprint of every row of the main tables (companies and users,
listings, carts, orders and their events, documents, payments, settlements, refunds, Stripe
events, the ledger, the outbox) taken before and after each refused request.

``tests/api/test_openapi.py`` runs schemathesis over the API with one buyer's token and
checks the answers against the schema; this file adds the HTML side, the other parties, the
hostile values and the "nothing changed" check.
"""

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django import forms
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from listings.models import Listing, ListingImage, PriceTier
from marketplace.accounts.models import Company, CompanyDocument, Membership, User
from marketplace.core.models import OutboxEvent
from orders.documents.models import TradeDocument
from orders.models import Cart, CartLine, Dispute, Order, OrderEvent, OrderLine, Shipment
from payments.ledger.models import LedgerEntry, LedgerTransaction
from payments.models import (
    BankPayout,
    ConnectedAccount,
    Payment,
    Refund,
    Settlement,
    StripeEvent,
)
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_TARGET = 15
ROLES = ("anonymous", "buyer", "seller", "staff")

# --- what "nothing changed" compares ------------------------------------------------------

MAIN_MODELS = (
    Company,
    User,
    Membership,
    CompanyDocument,
    Listing,
    PriceTier,
    ListingImage,
    Cart,
    CartLine,
    Order,
    OrderLine,
    OrderEvent,
    Shipment,
    Dispute,
    TradeDocument,
    Payment,
    Settlement,
    Refund,
    StripeEvent,
    ConnectedAccount,
    BankPayout,
    LedgerTransaction,
    LedgerEntry,
    OutboxEvent,
)


@functools.cache
def _fingerprint_sql() -> str:
    parts = [
        f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) "  # noqa: S608
        f'FROM "{model._meta.db_table}" AS t)'
        for model in MAIN_MODELS
    ]
    return "SELECT " + ", ".join(parts)


def fingerprint() -> dict[str, str]:
    """A digest of every row of every main table (any insert, update or delete shows)."""
    with connection.cursor() as cursor:
        cursor.execute(_fingerprint_sql())
        row = cursor.fetchone()
    return {model._meta.label: digest for model, digest in zip(MAIN_MODELS, row, strict=True)}


# --- hostile values -----------------------------------------------------------------------

MEGABYTE = "x" * 1_000_000
HOSTILE_STRINGS = [
    "²",  # a Unicode digit int() refuses
    "٣",  # a Unicode digit int() accepts (Arabic-Indic three)
    "３",  # full-width three
    "1²",
    str(10**30),
    "9223372036854775808",  # bigint + 1
    "-9223372036854775809",
    "-1",
    "0",
    "1e308",
    "-0.0000",
    "NaN",
    "Infinity",
    "1_000",
    "0x1F",
    "\x00",
    "7\x00",
    "a\x00b",
    "",
    " ",
    "\t\n",
    "<script>alert(document.domain)</script>",
    "' OR '1'='1' --",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "\u202eevil",
    "🧨" * 8,
    "Ω" * 300,
]
WRONG_JSON_TYPES = [[], {}, [1, 2], {"id": 1}, True, False, None, 10**30, -1, 0, 1.5, 2**63]

# The values that broke something once, drawn most often; then the rest; then anything.
SHARPEST = ["²", "1²", str(10**30), "a\x00b", MEGABYTE, "-1"]
hostile_text = st.one_of(
    st.sampled_from(SHARPEST),
    st.sampled_from(SHARPEST),
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=30),
)


# --- the world: a seller, a buyer with a cart and orders in several states, staff, others --


@dataclass
class World:
    users: dict[str, User | None]
    companies: dict[str, Company | None]
    own_ids: dict[str, dict[str, list[int]]]  # role -> kind -> ids it may use
    all_ids: list[int] = field(default_factory=list)  # every id, anyone's
    slugs: list[str] = field(default_factory=list)

    def ids(self, role: str, kind: str) -> list[int]:
        return self.own_ids.get(role, {}).get(kind, [])


def build_world() -> World:
    seller = CompanyFactory(seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.")
    seller.country = "CN"
    seller.save(update_fields=["country"])
    seller_user = MembershipFactory(company=seller, user=UserFactory(email="s@example.com")).user
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH")
    buyer_user = MembershipFactory(company=buyer, user=UserFactory(email="b@example.com")).user
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)

    listing = ListingFactory(seller=seller, published=True, title="Hex bolts M8", stock=50_000)
    draft = ListingFactory(seller=seller, title="Draft washers")
    cart = Cart.objects.create(buyer=buyer)
    CartLine.objects.create(cart=cart, listing=listing, quantity=200)
    states = ["placed", "confirmed", "paid", "shipped", "delivered", "disputed", "cancelled"]
    orders = []
    for state in states:
        traits = {} if state == "placed" else {state: True}
        orders.append(OrderFactory(buyer=buyer, seller=seller, lines__listing=listing, **traits).pk)

    # Another seller and buyer: their ids are other companies' ids.
    other_seller = CompanyFactory(seller=True, verified=True, legal_name="Naniwa Tools K.K.")
    MembershipFactory(company=other_seller)
    other_listing = ListingFactory(seller=other_seller, published=True, title="Chisel set")
    other_draft = ListingFactory(seller=other_seller, title="Secret prototype")
    other_buyer = CompanyFactory(buyer=True, legal_name="Lagos Imports Ltd")
    MembershipFactory(company=other_buyer)
    other_orders = [
        OrderFactory(buyer=other_buyer, seller=other_seller, lines__listing=other_listing).pk,
        OrderFactory(
            buyer=other_buyer, seller=other_seller, lines__listing=other_listing, paid=True
        ).pk,
    ]

    listings = [listing.pk, draft.pk]
    own = {
        "buyer": {"listing": [listing.pk], "order": orders, "company": [buyer.pk]},
        "seller": {"listing": listings, "order": orders, "company": [seller.pk]},
        "staff": {"listing": listings, "order": orders, "company": [seller.pk, buyer.pk]},
        "anonymous": {"listing": [listing.pk], "order": [], "company": [seller.pk]},
    }
    everything = [
        *listings,
        other_listing.pk,
        other_draft.pk,
        *orders,
        *other_orders,
        seller.pk,
        buyer.pk,
        other_seller.pk,
        other_buyer.pk,
    ]
    return World(
        users={"anonymous": None, "buyer": buyer_user, "seller": seller_user, "staff": staff},
        companies={"anonymous": None, "buyer": buyer, "seller": seller, "staff": None},
        own_ids=own,
        all_ids=everything,
        slugs=[seller.slug, other_seller.slug],
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module, inside a transaction rolled back at its end (as Django's
    ``setUpTestData``): each test's own transaction nests in it and is rolled back after it,
    so what a test's accepted requests change does not leak into the next one."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True  # type: ignore[attr-defined]  # services may nest durably
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def id_text(world: World) -> st.SearchStrategy[str]:
    """An id as a form or a path carries it: anyone's (other companies' too), or none's."""
    return st.one_of(
        st.sampled_from([str(pk) for pk in world.all_ids]),
        st.sampled_from(["0", str(2**63), str(10**30), "99999999"]),
    )


# --- the HTML side: routes, and the forms the pages render ---------------------------------

PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _walk(patterns: list, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def html_routes() -> list[str]:
    """Every route of the site but Django's admin (its own, staff-only forms) and the API
    (fuzzed from its schema below)."""
    return sorted(
        route
        for route, _ in _walk(get_resolver().url_patterns)
        if not route.startswith(("admin/", "api/"))
    )


def _kind_of(route: str, name: str) -> str:
    if "seller" in name:
        return "company"
    if "listing" in name or route.startswith(("listings/", "seller/listings/", "landed-cost/")):
        return "listing"
    if "order" in name or route.startswith("orders/"):
        return "order"
    return "other"


def route_path(route: str, values: dict[str, str]) -> str:
    return "/" + PARAM.sub(lambda m: quote(values[m["name"]], safe=""), route)


def _own_paths(route: str, role: str, world: World) -> list[str]:
    """The route with the role's own ids (every one of them): the pages the role can open."""
    params = [(m["converter"] or "str", m["name"]) for m in PARAM.finditer(route)]
    if not params:
        return [route_path(route, {})]
    paths = []
    converter, name = params[0]
    if converter == "int":
        candidates = [str(pk) for pk in world.ids(role, _kind_of(route, name))]
        if route != "orders/<int:pk>/":  # an order's page shows other forms in each state
            candidates = candidates[:1]
    elif converter == "slug":
        candidates = world.slugs[:1]
    else:
        candidates = ["GENUINE0CODE"]
    for value in candidates:
        values = {n: value for _, n in params}
        paths.append(route_path(route, values))
    return paths


FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
CONTROL = re.compile(r"<(?P<tag>input|select|textarea)\b(?P<attrs>[^>]*)>", re.I)
OPTION = re.compile(r'<option\b[^>]*\bvalue="(?P<value>[^"]*)"', re.I)


def _attr(attrs: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="(?P<v>[^"]*)"', attrs)
    return found["v"] if found else None


def _form_fields(body: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for control in CONTROL.finditer(body):
        name = _attr(control["attrs"], "name")
        if not name or name == "csrfmiddlewaretoken":
            continue
        kind = (_attr(control["attrs"], "type") or "").lower()
        if kind in ("checkbox", "radio") and "checked" not in control["attrs"]:
            fields.setdefault(name, "")
            continue
        value = _attr(control["attrs"], "value") or ""
        if control["tag"].lower() == "select":
            option = OPTION.search(body, control.end())
            value = option["value"] if option else ""
        fields[name] = value
    return fields


def _route_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route


_FORMS: dict[str, dict[str, dict[str, str]]] = {}  # role -> route -> field -> value


def harvested_forms(role: str, world: World) -> dict[str, dict[str, str]]:
    """Every ``<form method="post">`` of every page ``role`` can open, by the route of its
    action: the field names and the values the page fills in. Read once per party; the names
    do not depend on the ids, and the ids are drawn afresh anyway."""
    if role in _FORMS:
        return _FORMS[role]
    client = Client()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    found: dict[str, dict[str, str]] = {}
    for route in html_routes():
        for path in _own_paths(route, role, world):
            response = client.get(path)
            assert response.status_code < 500, (role, path, response.status_code)
            if "html" not in response.get("Content-Type", ""):
                continue
            page = response.content.decode(errors="replace")
            for form in FORM.finditer(page):
                if (_attr(form["attrs"], "method") or "get").lower() != "post":
                    continue
                action = urlsplit(_attr(form["attrs"], "action") or path).path
                target = _route_of(action)
                if target is not None:
                    found.setdefault(target, {}).update(_form_fields(form["body"]))
    _FORMS[role] = found
    return found


@functools.cache
def form_class_fields() -> list[str]:
    """Every field name of every form class of the project (so a form no page shows to these
    parties is still fed its own field names)."""
    get_resolver().url_patterns  # noqa: B018 - importing the views imports their forms
    names: set[str] = set()
    pending: list[type] = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("marketplace", "listings", "orders", "payments"):
            names.update(getattr(cls, "base_fields", {}))
    return sorted(names)


@st.composite
def form_request(draw, *, route: str, role: str, world: World) -> tuple[str, str, dict]:
    params = [(m["converter"] or "str", m["name"]) for m in PARAM.finditer(route)]
    values = {}
    for converter, name in params:
        if converter == "int":
            own = [str(pk) for pk in world.ids(role, _kind_of(route, name))]
            choices = st.one_of(id_text(world), st.sampled_from(own)) if own else id_text(world)
            values[name] = draw(choices)
        elif converter == "slug":
            values[name] = draw(st.one_of(st.sampled_from(world.slugs), st.just("no-such-slug")))
        else:
            values[name] = draw(hostile_text.filter(lambda v: len(v) < 2000 and v != ""))
    path = route_path(route, values)
    baseline = dict(harvested_forms(role, world).get(route, {}))
    names = sorted(set(baseline) | set(form_class_fields()))
    body = dict(baseline)
    for name in draw(st.lists(st.sampled_from(sorted(baseline)), unique=True)) if baseline else []:
        body.pop(name)  # fields left out
    value = st.one_of(
        hostile_text,
        id_text(world),
        st.lists(st.sampled_from(HOSTILE_STRINGS), min_size=1, max_size=3),
    )
    # Mostly the form's own fields (that is where the parsing is), sometimes any form's.
    keys = st.sampled_from(names)
    if baseline:
        keys = st.one_of(st.sampled_from(sorted(baseline)), st.sampled_from(sorted(baseline)), keys)
    for name in draw(st.lists(keys, min_size=1, max_size=4, unique=True)):
        body[name] = draw(value)
    method = draw(st.sampled_from(["post", "post", "post", "get"]))
    return method, path, body


class Clients:
    """One signed-in client per party, signed in again only after a request signed it out."""

    def __init__(self, world: World, make: type[Client] | type[APIClient]):
        self.world, self.make = world, make
        self.clients: dict[str, Any] = {}

    def get(self, role: str) -> Any:
        if role not in self.clients:
            client = self.make()
            user = self.world.users[role]
            if user is not None:
                if isinstance(client, APIClient):
                    client.force_authenticate(user)
                else:
                    client.force_login(user)
            self.clients[role] = client
        return self.clients[role]

    def after(self, role: str, response: Any) -> None:
        cookie = response.cookies.get("sessionid")
        if cookie is not None and not cookie.value:  # signed out (or the session was reset)
            self.clients.pop(role, None)


def assert_refusal_changed_nothing(response, before: dict[str, str], what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.content[:500])
    if response.status_code >= 400:
        after = fingerprint()
        changed = sorted(label for label in before if before[label] != after[label])
        assert changed == [], (what, response.status_code, changed)


SETTINGS = settings(
    max_examples=EXAMPLES_PER_TARGET,
    deadline=None,
    database=None,  # no example database in the repository
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


@pytest.mark.parametrize("route", html_routes())
def test_hostile_form_posts_never_fail_and_refusals_change_nothing(route, world, db):
    clients = Clients(world, Client)
    owners = [role for role in ROLES if route in harvested_forms(role, world)]

    @SETTINGS
    @given(data=st.data())
    def fuzz(data):
        # Mostly a party whose pages show this form (that is where the parsing is).
        roles = st.sampled_from(ROLES)
        if owners:
            roles = st.one_of(st.sampled_from(owners), st.sampled_from(owners), roles)
        role = data.draw(roles, label="role")
        method, path, body = data.draw(form_request(route=route, role=role, world=world))
        client = clients.get(role)  # signing in touches the user's row: before the fingerprint
        before = fingerprint()
        response = getattr(client, method)(path, body)
        clients.after(role, response)
        assert_refusal_changed_nothing(response, before, f"{role} {method.upper()} {path}")

    fuzz()


SWEEP = ["²", "a\x00b"]  # the issue's probe and a NUL byte (the rest: drawn often above)


def test_every_field_of_every_form_refuses_the_sharpest_values(world, db):
    """Beside the random search, a sweep: every field of every form a page shows (as the
    first party who sees it), each of the values that broke something once, one at a time."""
    swept: set[str] = set()
    fields_swept: set[tuple[Any, str]] = set()  # (view, field): a view's field once
    requests = 0
    for role in ("buyer", "seller", "staff", "anonymous"):
        clients = Clients(world, Client)
        for route, fields in sorted(harvested_forms(role, world).items()):
            if route in swept:
                continue
            swept.add(route)
            path = _own_paths(route, role, world)[0]
            view = resolve(path).func
            for name in sorted(fields):
                # The formset's empty template form is never posted by a browser.
                if "__prefix__" in name or (view, name) in fields_swept:
                    continue
                fields_swept.add((view, name))
                for value in SWEEP:
                    client = clients.get(role)
                    before = fingerprint()
                    response = client.post(path, {**fields, name: value})
                    clients.after(role, response)
                    assert_refusal_changed_nothing(
                        response, before, f"{role} POST {path} {name}={value[:20]!r}"
                    )
                    requests += 1
    assert {"cart/add/", "seller/listings/new/", "orders/<int:pk>/ship/"} <= swept
    assert requests >= 2 * 50


# --- the API side: every operation of the OpenAPI document ---------------------------------


@functools.cache
def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def api_operations() -> list[tuple[str, str]]:
    return sorted(
        (path, method)
        for path, item in api_schema()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


def _resolve(schema: dict, depth: int = 0) -> dict:
    if "$ref" in schema and depth < 8:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(api_schema()["components"]["schemas"][name], depth + 1)
    if "allOf" in schema and depth < 8:
        merged: dict = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            resolved = _resolve(part, depth + 1)
            merged["properties"].update(resolved.get("properties", {}))
            merged["required"] += resolved.get("required", [])
        return merged
    return schema


ID_NAMES = {"listing", "category", "seller", "company", "parent", "order"}


def plausible(schema: dict, name: str, role: str, world: World, depth: int = 0) -> Any:
    """A value the operation would accept, or close: the party's own ids, an enum's first
    value, a small quantity."""
    schema = _resolve(schema, depth)
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v not in ("", None)), schema["enum"][0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {
            key: plausible(sub, key, role, world, depth + 1)
            for key, sub in schema.get("properties", {}).items()
            if not sub.get("readOnly")
        }
    if kind == "array":
        return [plausible(schema.get("items", {}), name, role, world, depth + 1)]
    if kind == "integer":
        if name in ID_NAMES:
            ids = world.ids(role, "listing" if name != "company" else "company")
            return ids[0] if ids else world.all_ids[0]
        return 100
    if kind == "number":
        return 10
    if kind == "boolean":
        return True
    if schema.get("format") == "email":
        return "b@example.com"
    if schema.get("format") == "decimal" or name in ("amount", "freight", "insurance"):
        return "12.50"
    if name in ("country", "destination", "origin", "ship_to_country"):
        return "DE"
    if name == "currency":
        return "USD"
    if name == "incoterm":
        return "FOB"
    return "Ningbo"


def _leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict) and value:
        return [p for key, sub in value.items() for p in _leaf_paths(sub, (*prefix, key))]
    if isinstance(value, list) and value:
        return [p for i, sub in enumerate(value) for p in _leaf_paths(sub, (*prefix, i))]
    return [prefix] if prefix else []


def _replace(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if new is _MISSING and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replace(copy[head], rest, new)
        return copy
    copy_list = list(value)
    copy_list[head] = _replace(copy_list[head], rest, new) if new is not _MISSING else None
    return copy_list


_MISSING = object()
hostile_json = st.one_of(
    hostile_text,
    st.sampled_from(WRONG_JSON_TYPES),
    st.integers(min_value=-(10**30), max_value=10**30),
)


@st.composite
def api_request(draw, *, path: str, method: str, role: str, world: World) -> dict:
    operation = api_schema()["paths"][path][method]
    values: dict[str, str] = {}
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    company = world.companies[role]
    if company is not None:
        headers["HTTP_X_COMPANY"] = str(company.pk)
    for parameter in operation.get("parameters", []):
        schema = _resolve(parameter.get("schema", {}))
        where, name = parameter["in"], parameter["name"]
        if where == "path":
            if schema.get("type") == "integer":
                own = [
                    str(pk) for pk in world.ids(role, _kind_of(path.removeprefix("/api/v1/"), name))
                ]
                pool = st.one_of(id_text(world), st.sampled_from(own)) if own else id_text(world)
                values[name] = draw(pool)
            else:
                values[name] = draw(hostile_text.filter(lambda v: 0 < len(v) < 2000))
        elif where == "query" and draw(st.booleans()):
            query[name] = draw(
                st.one_of(hostile_text, st.just(str(plausible(schema, name, role, world))))
            )
        elif where == "header" and name.lower() == "x-company" and draw(st.booleans()):
            headers["HTTP_X_COMPANY"] = draw(st.one_of(hostile_text, id_text(world)))
    url = re.sub(r"\{(\w+)\}", lambda m: quote(values[m[1]], safe=""), path)

    content = operation.get("requestBody", {}).get("content", {})
    body: Any = None
    fmt = None
    if "application/json" in content:
        fmt = "json"
        body = plausible(content["application/json"].get("schema", {}), "", role, world)
        mutation = draw(st.sampled_from(["fields", "fields", "fields", "whole", "missing"]))
        if mutation == "whole":
            body = draw(st.one_of(st.sampled_from(WRONG_JSON_TYPES), hostile_text))
        else:
            leaves = _leaf_paths(body)
            if leaves:
                for leaf in draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=3)):
                    new = _MISSING if mutation == "missing" else draw(hostile_json)
                    try:
                        body = _replace(body, leaf, new)
                    except (KeyError, IndexError, TypeError):
                        continue  # an earlier mutation removed or replaced its parent
            elif isinstance(body, dict):
                body[draw(st.sampled_from(sorted(ID_NAMES)))] = draw(hostile_json)
    elif content:  # multipart or urlencoded only: strings and a file of hostile bytes
        fmt = "multipart"
        schema = _resolve(next(iter(content.values())).get("schema", {}))
        body = {}
        for key, sub in schema.get("properties", {}).items():
            if _resolve(sub).get("format") == "binary":
                from django.core.files.uploadedfile import SimpleUploadedFile

                raw = draw(st.sampled_from([b"", b"\x00" * 64, b"GIF89a" + b"\xff" * 32]))
                body[key] = SimpleUploadedFile("x.png", raw, content_type="image/png")
            elif draw(st.booleans()):
                body[key] = draw(hostile_text)
    return {
        "method": method,
        "url": url,
        "query": query,
        "headers": headers,
        "body": body,
        "format": fmt,
    }


@pytest.mark.parametrize(("path", "method"), api_operations())
def test_hostile_api_requests_never_fail_and_refusals_change_nothing(path, method, world, db):
    clients = Clients(world, APIClient)

    @SETTINGS
    @given(data=st.data())
    def fuzz(data):
        role = data.draw(st.sampled_from(ROLES), label="role")
        request = data.draw(api_request(path=path, method=method, role=role, world=world))
        client = clients.get(role)
        url = request["url"]
        if request["query"]:
            from urllib.parse import urlencode

            url += "?" + urlencode(request["query"], doseq=True)
        before = fingerprint()
        call = getattr(client, method)
        if request["format"] is None:
            response = call(url, **request["headers"])
        else:
            response = call(url, request["body"], format=request["format"], **request["headers"])
        assert_refusal_changed_nothing(response, before, f"{role} {method.upper()} {url[:200]}")

    fuzz()


# --- the enumeration itself --------------------------------------------------------------


def test_the_enumeration_covers_every_html_route_and_api_operation():
    routes = html_routes()
    assert "cart/add/" in routes
    assert "orders/<int:pk>/cancel/" in routes
    assert "payments/payout-account/bank/" in routes
    assert "accounts/signup/" in routes
    assert not any(route.startswith(("admin/", "api/")) for route in routes)
    operations = api_operations()
    assert ("/api/v1/orders/", "post") in operations
    assert ("/api/v1/orders/{id}/payments/", "post") in operations
    assert ("/api/v1/auth/token/", "post") in operations
    # Every API route of the URL conf is in the schema (so none escapes the fuzz).
    documented = {re.sub(r"\{\w+\}", "{}", path) for path, _ in operations}
    api_routes = {
        "/" + PARAM.sub("{}", route)
        for route, _ in _walk(get_resolver().url_patterns)
        if route.startswith("api/v1/")
    }
    assert api_routes - documented == set()


def test_the_fuzz_starts_from_the_forms_the_pages_really_show(world, db):
    """The harvest reads each party's pages: the forms the fuzz starts from are the real ones."""
    buyer, seller = harvested_forms("buyer", world), harvested_forms("seller", world)

    assert set(buyer["cart/add/"]) == {"listing", "quantity"}
    assert set(buyer["orders/<int:pk>/dispute/"]) == {"dispute-reason", "dispute-evidence"}
    assert set(buyer["orders/<int:pk>/cancel/"]) == {"cancel-reason"}
    assert "orders/<int:pk>/ship/" not in buyer
    assert set(seller["orders/<int:pk>/ship/"]) == {"carrier", "ship_date", "tracking_number"}
    assert set(seller["payments/payout-account/bank/"]) == {
        "account_holder",
        "current_password",
        "bank_name",
        "country",
        "iban",
        "swift",
    }
    assert {"title", "moq", "stock", "hs_code", "incoterms"} <= set(seller["seller/listings/new/"])
    assert "cart/add/" not in seller
    assert "accounts/signup/" in harvested_forms("anonymous", world)
