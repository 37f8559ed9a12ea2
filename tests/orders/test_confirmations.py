""" "Confirm delivery" and "Accept the goods" cannot be undone, so they ask first, the way
archiving a listing does: the form carries data-confirm, which static/js/app.js turns into a
confirmation (no inline script; the browser journey in tests/e2e/test_payment_journey.py
dismisses and accepts the question)."""

import re

import pytest
from django.urls import reverse

from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def form_tag(content: str, action: str) -> str:
    match = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>', content)
    assert match is not None, f"no form posting to {action}"
    return match.group(0)


def test_confirm_delivery_asks_for_confirmation(client, buyer, buyer_user, seller):
    order = OrderFactory(buyer=buyer, seller=seller, shipped=True, number="ORD-2026-000042")
    client.force_login(buyer_user)

    content = client.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert form_tag(content, reverse("orders:confirm_delivery", args=[order.pk])) == (
        f'<form method="post" action="/orders/{order.pk}/confirm-delivery/" '
        'data-confirm="Confirm that the goods of ORD-2026-000042 have arrived? The inspection '
        'window then starts and cannot be undone.">'
    )


def test_accept_the_goods_asks_for_confirmation(client, buyer, buyer_user, seller):
    order = OrderFactory(buyer=buyer, seller=seller, delivered=True, number="ORD-2026-000043")
    client.force_login(buyer_user)

    content = client.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert form_tag(content, reverse("orders:accept", args=[order.pk])) == (
        f'<form method="post" action="/orders/{order.pk}/accept/" '
        'data-confirm="Accept the goods of ORD-2026-000043? The order completes and the payment '
        'is released to the seller; you can no longer open a dispute.">'
    )


def test_the_confirmation_script_is_a_static_file_not_inline(client, buyer, buyer_user, seller):
    order = OrderFactory(buyer=buyer, seller=seller, shipped=True)
    client.force_login(buyer_user)

    content = client.get(reverse("orders:detail", args=[order.pk])).content.decode()

    assert re.search(r'<script[^>]+src="[^"]*js/app\.js"', content)
    assert "onsubmit" not in content and "onclick" not in content
