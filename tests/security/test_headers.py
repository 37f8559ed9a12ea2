"""The Content Security Policy (django-csp), Permissions-Policy and Django's own security
headers, on every kind of response: pages, API, admin, API docs, errors."""

import json
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from marketplace.core.middleware import permissions_policy_header_value
from orders import services as order_services
from tests.factories import UserFactory, admin_login
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, place_order, seller_member
from tests.security.sessions import signed_in

pytestmark = pytest.mark.django_db

# The policy without Stripe (the tests' and the sandbox's configuration).
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), publickey-credentials-get=(), screen-wake-lock=(), usb=(), "
    "xr-spatial-tracking=()"
)


def directives(header: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        assert name not in parsed
        parsed[name] = values
    return parsed


def assert_security_headers(response, *, policy=POLICY) -> None:
    assert directives(response["Content-Security-Policy"]) == policy
    assert "Content-Security-Policy-Report-Only" not in response
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.fixture
def journey(fx_rates):
    seller, seller_user = seller_member()
    buyer, buyer_user = buyer_member()
    listing = ListingFactory(seller=seller, published=True, incoterms=["FOB", "CIF"])
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user, incoterm="CIF")
    confirmed = place_order(listing=listing, buyer=buyer, actor=buyer_user, incoterm="CIF")
    order_services.order_confirm(
        order=confirmed, actor=seller_user, freight=Decimal("10"), insurance=Decimal("1")
    )
    return {
        "seller": signed_in(seller_user, seller),
        "buyer": signed_in(buyer_user, buyer),
        "listing": listing,
        "order": order,
        "confirmed": confirmed,
        "seller_company": seller,
    }


def test_every_kind_of_page_carries_the_policy(journey):
    anonymous, buyer, seller = Client(), journey["buyer"], journey["seller"]
    staff = Client()
    admin_login(staff, UserFactory(is_staff=True, is_superuser=True))
    buyer.post(reverse("orders:cart_add"), {"listing": journey["listing"].pk, "quantity": 100})
    pages = [
        (anonymous, "/", 200),
        (anonymous, reverse("listings:search"), 200),
        (anonymous, reverse("listings:detail", args=[journey["listing"].pk]), 200),
        (anonymous, reverse("listings:storefront", args=[journey["seller_company"].slug]), 200),
        (anonymous, reverse("accounts:login"), 200),
        (anonymous, reverse("accounts:signup"), 200),
        (anonymous, reverse("documents:verify"), 200),
        (anonymous, "/no-such-page/", 404),
        (anonymous, "/admin/login/", 200),
        (anonymous, "/api/v1/me/", 401),
        (anonymous, "/api/schema/", 200),
        (anonymous, "/healthz", 200),
        (buyer, reverse("orders:cart"), 200),
        (buyer, reverse("orders:checkout"), 200),
        (buyer, reverse("orders:detail", args=[journey["order"].pk]), 200),
        (buyer, reverse("payments:order-pay", args=[journey["confirmed"].pk]), 200),
        (buyer, "/api/v1/me/", 200),
        (seller, reverse("orders:detail", args=[journey["order"].pk]), 200),
        (seller, reverse("listings:my_listings"), 200),
        (seller, reverse("payments:payout-account"), 200),
        (staff, "/admin/", 200),
        (staff, reverse("admin:orders_order_changelist"), 200),
        (staff, reverse("admin:orders_order_change", args=[journey["order"].pk]), 200),
        (staff, reverse("admin:listings_listing_changelist"), 200),
    ]
    for client, url, status in pages:
        response = client.get(url)
        assert response.status_code == status, url
        assert_security_headers(response)


def test_api_docs_allow_swagger_uis_data_images_and_load_no_inline_script(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    assert page.status_code == 200
    assert_security_headers(page, policy={**POLICY, "img-src": ["'self'", "data:"]})
    html = page.content.decode()
    assert "<style>" not in html
    assert '<script src="/api/docs/?script="></script>' in html
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert b"SwaggerUIBundle" in script.content


def test_the_permissions_policy_header_is_the_setting_in_structured_syntax():
    assert permissions_policy_header_value(
        {"camera": [], "payment": ["self", '"https://js.stripe.com"']}
    ) == ('camera=(), payment=(self "https://js.stripe.com")')
    assert permissions_policy_header_value(settings.PERMISSIONS_POLICY) == PERMISSIONS_POLICY


_SETTINGS_PROBE = """
import json, django
django.setup()
from django.conf import settings
from csp.utils import build_policy
from marketplace.core.middleware import permissions_policy_header_value
print(json.dumps([build_policy(), permissions_policy_header_value(settings.PERMISSIONS_POLICY)]))
"""


def _headers_with(**environ: str) -> tuple[dict[str, list[str]], str]:
    """The CSP and Permissions-Policy that the settings make for this environment (a fresh
    interpreter: the settings read the environment once)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketplace.settings.test", **environ}
    result = subprocess.run(
        [sys.executable, "-c", _SETTINGS_PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    csp, permissions = json.loads(result.stdout.strip().splitlines()[-1])
    return directives(csp), permissions


def test_stripe_sources_are_allowed_only_with_a_stripe_key():
    without, permissions_without = _headers_with(STRIPE_PUBLISHABLE_KEY="", STRIPE_SECRET_KEY="")
    with_keys, permissions_with = _headers_with(
        STRIPE_PUBLISHABLE_KEY="pk_test_123",
        STRIPE_SECRET_KEY="sk_test_123",
        CSP_REPORT_URI="https://csp.example.com/report",
    )

    assert without == POLICY
    assert permissions_without == PERMISSIONS_POLICY
    assert with_keys == {
        **POLICY,
        "script-src": ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"],
        "connect-src": ["'self'", "https://api.stripe.com"],
        "frame-src": [
            "https://js.stripe.com",
            "https://*.js.stripe.com",
            "https://hooks.stripe.com",
        ],
        "form-action": ["'self'", "https://connect.stripe.com"],
        "report-uri": ["https://csp.example.com/report"],
    }
    assert permissions_with == PERMISSIONS_POLICY.replace(
        "payment=()", 'payment=(self "https://js.stripe.com")'
    )
