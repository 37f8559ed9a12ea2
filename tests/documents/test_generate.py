"""trade_document_generate: numbering, idempotency, versions, failures."""

import hashlib
from datetime import date

import pytest
from django.db.models import F
from django.utils import timezone

from marketplace.core.exceptions import DomainError
from orders.documents import services, tasks
from orders.documents.enums import DocumentKind, DocumentStatus
from orders.documents.models import DocumentSequence, TradeDocument
from orders.documents.rendering import RENDERERS
from orders.models import Order
from tests.documents.conftest import pdf_bytes, pdf_text
from tests.documents.factories import document_order, seller_company

pytestmark = pytest.mark.django_db

CI = DocumentKind.COMMERCIAL_INVOICE
PI = DocumentKind.PROFORMA_INVOICE
PL = DocumentKind.PACKING_LIST
CO = DocumentKind.CERTIFICATE_OF_ORIGIN


def documents_state() -> dict:
    return {
        "documents": list(
            TradeDocument.objects.order_by("pk").values_list(
                "pk", "kind", "version", "status", "number", "is_current", "sha256"
            )
        ),
        "sequences": list(
            DocumentSequence.objects.order_by("pk").values_list("kind", "year", "last_number")
        ),
    }


def test_seller_code_is_the_initials_of_the_slug_and_the_company_id():
    seller = seller_company(slug="ningbo-fasteners-co-ltd-export")
    assert services.seller_code(seller) == f"NFC{seller.pk}"
    seller.slug = "123-tools"
    assert services.seller_code(seller) == f"T{seller.pk}"


def test_generate_issues_a_ready_document_with_number_hash_and_file():
    order = document_order()
    year = timezone.localdate().year

    document = services.trade_document_generate(order_id=order.pk, kind=CI)

    code = services.seller_code(order.seller)
    assert document.status == DocumentStatus.READY
    assert document.number == f"{code}-CI-{year}-00001"
    assert document.version == 1
    assert document.is_current is True
    assert document.message == ""
    assert document.issued_at is not None
    data = pdf_bytes(document)
    assert data.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.file.name.startswith(f"documents/{year}/")
    assert document.file.name.endswith(".pdf")
    assert code not in document.file.name and order.number not in document.file.name
    assert len(document.verification_code) == 14
    assert DocumentSequence.objects.get(seller=order.seller, kind=CI, year=year).last_number == 1


def test_numbers_are_gapless_per_seller_kind_and_year():
    seller = seller_company()
    other = seller_company()
    orders = [document_order(seller=seller) for _ in range(3)]
    other_order = document_order(seller=other)
    code = services.seller_code(seller)
    year = timezone.localdate().year

    invoices = [services.trade_document_generate(order_id=o.pk, kind=CI) for o in orders]
    proforma = services.trade_document_generate(order_id=orders[0].pk, kind=PI)
    foreign = services.trade_document_generate(order_id=other_order.pk, kind=CI)

    assert [d.number for d in invoices] == [
        f"{code}-CI-{year}-00001",
        f"{code}-CI-{year}-00002",
        f"{code}-CI-{year}-00003",
    ]
    assert proforma.number == f"{code}-PI-{year}-00001"
    assert foreign.number == f"{services.seller_code(other)}-CI-{year}-00001"


def test_numbering_starts_again_each_year():
    seller = seller_company()
    DocumentSequence.objects.create(seller=seller, kind=CI, year=2020, last_number=41)
    year = timezone.localdate().year

    document = services.trade_document_generate(order_id=document_order(seller=seller).pk, kind=CI)

    assert document.number.endswith(f"-CI-{year}-00001")
    assert DocumentSequence.objects.get(seller=seller, kind=CI, year=2020).last_number == 41


def test_generating_again_with_the_same_data_returns_the_same_document():
    order = document_order()
    first = services.trade_document_generate(order_id=order.pk, kind=PI)
    before = documents_state()

    again = services.trade_document_generate(order_id=order.pk, kind=PI)

    assert again.pk == first.pk
    assert documents_state() == before


def test_a_redelivered_task_makes_no_second_document():
    order = document_order()

    first_id = tasks.trade_document_generate_task.apply(
        kwargs={"order_id": order.pk, "kind": CI}
    ).get()
    before = documents_state()
    second_id = tasks.trade_document_generate_task.apply(
        kwargs={"order_id": order.pk, "kind": CI}
    ).get()

    assert second_id == first_id
    assert documents_state() == before
    assert TradeDocument.objects.filter(order=order, kind=CI).count() == 1


@pytest.mark.parametrize("name", ["trade_document_generate_task", "trade_document_event_task"])
def test_the_task_runs_on_the_documents_queue_with_late_acks(name):
    task = getattr(tasks, name)
    assert task.queue == "documents"
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.max_retries == 5


def test_a_corrected_freight_makes_version_2_and_keeps_version_1_superseded():
    order = document_order()
    first = services.trade_document_generate(order_id=order.pk, kind=CI)
    Order.objects.filter(pk=order.pk).update(
        freight_minor=15000, total_minor=F("total_minor") + 3000
    )

    second = services.trade_document_generate(order_id=order.pk, kind=CI)

    first.refresh_from_db()
    year = timezone.localdate().year
    code = services.seller_code(order.seller)
    assert (first.version, first.is_current, first.status) == (1, False, DocumentStatus.READY)
    assert first.number == f"{code}-CI-{year}-00001"
    assert (second.version, second.is_current, second.status) == (2, True, DocumentStatus.READY)
    assert second.number == f"{code}-CI-{year}-00002"
    assert second.sha256 != first.sha256
    assert "USD 150.00" in pdf_text(second)
    assert "USD 733.50" in pdf_text(second)  # 575.00 + 150.00 + 8.50
    assert "USD 120.00" in pdf_text(first)  # the old file is kept as it was
    assert "Version 2" in pdf_text(second)


def test_regenerate_issues_a_new_version_even_when_nothing_changed():
    order = document_order()
    first = services.trade_document_generate(order_id=order.pk, kind=PL)

    second = services.trade_document_regenerate(document=first)

    first.refresh_from_db()
    assert second.version == 2 and second.is_current
    assert first.is_current is False
    assert second.number.endswith(f"-PL-{timezone.localdate().year}-00002")
    # the commercial invoice the packing list quotes was made once and not again
    assert TradeDocument.objects.filter(order=order, kind=CI).count() == 1


def test_packing_list_and_origin_application_make_the_commercial_invoice_first():
    order = document_order()

    packing = services.trade_document_generate(order_id=order.pk, kind=PL)

    invoice = TradeDocument.objects.get(order=order, kind=CI)
    assert invoice.status == DocumentStatus.READY
    assert f"{invoice.number} of {timezone.localdate(invoice.issued_at).isoformat()}" in pdf_text(
        packing
    )


def test_a_render_failure_is_recorded_and_uses_no_number(monkeypatch):
    order = document_order()
    services.trade_document_generate(order_id=order.pk, kind=PI)  # PI 00001 for this seller

    def broken(context):
        raise ValueError("the layout does not fit")

    monkeypatch.setitem(RENDERERS, CI, broken)
    failed = services.trade_document_generate(order_id=order.pk, kind=CI)

    assert failed.status == DocumentStatus.FAILED
    assert failed.number is None
    assert failed.is_current is False
    assert failed.sha256 == "" and not failed.file
    assert failed.message == "The PDF could not be drawn: ValueError: the layout does not fit"
    assert (
        not DocumentSequence.objects.filter(seller=order.seller, kind=CI)
        .exclude(last_number=0)
        .exists()
    )

    monkeypatch.undo()
    retried = services.trade_document_generate(order_id=order.pk, kind=CI)

    assert retried.pk == failed.pk  # retried in place: same version, first number
    assert retried.status == DocumentStatus.READY
    assert retried.version == 1
    assert retried.message == ""
    assert retried.number.endswith(f"-CI-{timezone.localdate().year}-00001")


def test_a_failed_invoice_fails_the_packing_list_that_quotes_it(monkeypatch):
    order = document_order()

    def broken(context):
        raise RuntimeError("no ink")

    monkeypatch.setitem(RENDERERS, CI, broken)
    packing = services.trade_document_generate(order_id=order.pk, kind=PL)

    assert packing.status == DocumentStatus.FAILED
    assert packing.number is None
    assert packing.message == (
        "The commercial invoice it quotes failed: The PDF could not be drawn: RuntimeError: no ink"
    )
    assert not DocumentSequence.objects.exclude(last_number=0).exists()


def test_an_unknown_kind_is_refused_and_nothing_is_written():
    order = document_order()
    before = documents_state()

    with pytest.raises(DomainError):
        services.trade_document_generate(order_id=order.pk, kind="bill_of_lading")

    assert documents_state() == before


def test_document_data_figures_from_the_snapshot():
    order = document_order()
    from orders.documents.data import document_data

    data = document_data(Order.objects.select_related("buyer", "seller").get(pk=order.pk))

    assert [(line.cartons, line.first_carton, line.last_carton) for line in data.lines] == [
        (5, 1, 5),
        (5, 6, 10),
    ]
    assert [(line.net_weight_g, line.gross_weight_g) for line in data.lines] == [
        (45000, 47500),
        (5400, 6750),
    ]
    assert (data.quantity_total, data.cartons_total) == (1450, 10)
    assert (data.net_weight_g, data.gross_weight_g) == (50400, 54250)
    assert str(data.volume_cm3) == "95625.000"
    assert data.invoice_total_minor == 70350
    assert data.shipment is not None and data.shipment.ship_date == date.today()
