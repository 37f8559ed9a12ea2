"""Gapless numbering and idempotency under real concurrency: real threads, each with its own
connection and transactions, released together by a barrier."""

import pytest
from django.utils import timezone

from orders.documents import services
from orders.documents.enums import DocumentKind, DocumentStatus
from orders.documents.models import DocumentSequence, TradeDocument
from tests.documents.factories import document_order, seller_company
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def test_ten_invoices_of_one_seller_at_once_are_numbered_1_to_10_without_gaps():
    seller = seller_company()
    orders = [document_order(seller=seller) for _ in range(10)]

    outcomes = run_together(
        [
            (
                lambda pk=o.pk: services.trade_document_generate(
                    order_id=pk, kind=DocumentKind.COMMERCIAL_INVOICE
                )
            )
            for o in orders
        ]
    )

    assert [kind for kind, _ in outcomes] == ["ok"] * 10, outcomes
    year = timezone.localdate().year
    code = services.seller_code(seller)
    numbers = sorted(
        TradeDocument.objects.filter(order__seller=seller).values_list("number", flat=True)
    )
    assert numbers == [f"{code}-CI-{year}-{n:05d}" for n in range(1, 11)]
    assert set(
        TradeDocument.objects.filter(order__seller=seller).values_list("status", flat=True)
    ) == {DocumentStatus.READY}
    sequence = DocumentSequence.objects.get(
        seller=seller, kind=DocumentKind.COMMERCIAL_INVOICE, year=year
    )
    assert sequence.last_number == 10


def test_the_same_generation_twice_at_once_makes_one_document():
    order = document_order()

    outcomes = run_together(
        [
            lambda: services.trade_document_generate(
                order_id=order.pk, kind=DocumentKind.PACKING_LIST
            ),
            lambda: services.trade_document_generate(
                order_id=order.pk, kind=DocumentKind.PACKING_LIST
            ),
        ]
    )

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert outcomes[0][1].pk == outcomes[1][1].pk
    assert TradeDocument.objects.filter(order=order, kind=DocumentKind.PACKING_LIST).count() == 1
    # the commercial invoice it quotes was made once too
    assert (
        TradeDocument.objects.filter(order=order, kind=DocumentKind.COMMERCIAL_INVOICE).count() == 1
    )
    assert list(DocumentSequence.objects.order_by("kind").values_list("kind", "last_number")) == [
        (DocumentKind.COMMERCIAL_INVOICE, 1),
        (DocumentKind.PACKING_LIST, 1),
    ]
