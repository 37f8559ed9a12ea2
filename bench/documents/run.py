"""Trade documents: time per document by kind, the 400-carton packing list, documents/second.

    .venv/bin/python bench/documents/run.py [--repeat 30] [--orders 25]

Works in its own database, ``marketplace_bench_documents`` on the server of ``DATABASE_URL``
(or ``BENCH_DOCUMENTS_DATABASE_URL``), created and migrated if needed; PDFs go to a temporary
MEDIA_ROOT that is removed at the end. Seeds one seller and one buyer (names in Latin,
Chinese and Arabic, so every font is embedded), then measures:

- ``render``: ReportLab alone, from the computed data to the PDF bytes, per kind, for an order
  of 5 lines (one page), and for a packing list of 400 cartons (5 lines × 80 cartons);
- ``service``: ``trade_document_generate(force=True)`` — lock, data, fingerprint, number,
  render, SHA-256, store, supersede, commit — per kind, same orders;
- ``throughput``: one worker's loop, in-process: ``--orders`` fresh orders × the four kinds
  through ``trade_document_generate`` (what the Celery task calls), documents per second.

Prints tables and writes ``bench/out/documents-<UTC time>.json`` and ``documents-latest.json``.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import common

DB_NAME = "marketplace_bench_documents"
SLUG_PREFIX = "bench-documents-"


def documents_database_url() -> str:
    if explicit := os.environ.get("BENCH_DOCUMENTS_DATABASE_URL"):
        return explicit
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace")
    return urlunsplit(urlsplit(base)._replace(path=f"/{DB_NAME}"))


def setup(media_root: str) -> None:
    os.environ["BENCH_DATABASE_URL"] = documents_database_url()
    os.environ["MEDIA_ROOT"] = media_root
    common.database_ensure()
    common.django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def companies():
    from marketplace.accounts.models import Company, User

    seller, _ = Company.objects.get_or_create(
        slug=f"{SLUG_PREFIX}ningbo-fasteners",
        defaults={
            "legal_name": "宁波紧固件有限公司 Ningbo Fasteners Co., Ltd.",
            "country": "CN",
            "address_line1": "浙江省宁波市北仑区新碶街道 88 号",
            "city": "Ningbo",
            "postal_code": "315800",
            "vat_number": "91330206MA2AH1234X",
            "sells": True,
            "default_currency": "USD",
            "verification_status": "verified",
        },
    )
    buyer, _ = Company.objects.get_or_create(
        slug=f"{SLUG_PREFIX}gulf-trading",
        defaults={
            "legal_name": "شركة الخليج للتجارة Gulf Trading LLC",
            "country": "AE",
            "address_line1": "شارع الشيخ زايد",
            "city": "Dubai",
            "buys": True,
            "default_currency": "USD",
        },
    )
    user, _ = User.objects.get_or_create(email="bench-documents@example.test")
    return seller, buyer, user


def order_create(*, seller, buyer, user, cartons_per_line: int):
    """An order of 5 lines with ``cartons_per_line`` cartons each (100 units per carton)."""
    from orders.models import Order, OrderLine
    from orders.numbering import order_number_next

    lines = []
    goods = 0
    for index in range(5):
        quantity = cartons_per_line * 100 - 37  # the last carton of each line is partial
        price = Decimal("0.0350") + index
        amount = int((price * quantity * 100).quantize(Decimal(1)))
        goods += amount
        lines.append((index, quantity, price, amount))
    order = Order.objects.create(
        number=order_number_next(),
        buyer=buyer,
        seller=seller,
        placed_by=user,
        status="shipped",
        currency="USD",
        incoterm="CIF",
        named_place="Jebel Ali",
        buyer_reference="PO-BENCH",
        ship_to_name="Gulf Trading LLC Warehouse 7",
        ship_to_line1="Jebel Ali Free Zone, Plot S30102",
        ship_to_city="Dubai",
        ship_to_country="AE",
        goods_minor=goods,
        freight_minor=85000,
        insurance_minor=1200,
        platform_fee_minor=goods * 3 // 100,
        total_minor=goods + 86200 + goods * 3 // 100,
        platform_fee_bps=300,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            title=f"Hex bolts M{8 + index} × {40 + 10 * index} mm, zinc plated",
            hs_code="731815",
            origin_country="CN",
            unit="piece",
            quantity=quantity,
            unit_price=price,
            line_total_minor=amount,
            unit_net_weight_kg=Decimal("0.045"),
            units_per_carton=100,
            carton_gross_weight_kg=Decimal("4.900"),
            carton_length_cm=Decimal("35.0"),
            carton_width_cm=Decimal("25.0"),
            carton_height_cm=Decimal("15.0"),
        )
        for index, quantity, price, amount in lines
    )
    return order


def context_for(order, kind: str):
    from django.conf import settings
    from django.utils import timezone

    from orders.documents.data import InvoiceReference, document_data
    from orders.documents.enums import DocumentKind
    from orders.documents.rendering import RenderContext

    return RenderContext(
        title=DocumentKind(kind).label,
        number="BENCH-XX-2026-00001",
        version=1,
        issued_on=timezone.localdate(),
        verification_code="Bench2345abcde",
        verify_url=f"{settings.SITE_URL}/documents/verify/Bench2345abcde/",
        platform_name=settings.PLATFORM_NAME,
        data=document_data(order),
        invoice=InvoiceReference(number="BENCH-CI-2026-00001", issued_on=timezone.localdate()),
    )


CPU: dict[int, list[float]] = {}


def timed(call, repeat: int) -> list[float]:
    """Wall-clock seconds per call; the process CPU seconds per call go to ``CPU`` (on a
    loaded machine the CPU time is what the work costs, the wall clock what it waited)."""
    call()  # warm: fonts registered, code paths loaded
    samples = []
    cpu = []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    CPU[id(samples)] = cpu
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--orders", type=int, default=25)
    args = parser.parse_args()
    media_root = tempfile.mkdtemp(prefix="bench-documents-")
    try:
        setup(media_root)
        run(args)
    finally:
        shutil.rmtree(media_root, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from orders.documents.enums import DocumentKind
    from orders.documents.rendering import render
    from orders.documents.services import trade_document_generate

    seller, buyer, user = companies()
    small = order_create(seller=seller, buyer=buyer, user=user, cartons_per_line=1)
    large = order_create(seller=seller, buyer=buyer, user=user, cartons_per_line=80)
    rows = []
    results: dict[str, dict] = {}
    cases = [(kind, small, "5 lines") for kind in DocumentKind.values]
    cases.append((DocumentKind.PACKING_LIST, large, "400 cartons"))
    for kind, order, label in cases:
        context = context_for(order, kind)
        render_s = timed(lambda k=kind, c=context: render(kind=k, context=c), args.repeat)
        service_s = timed(
            lambda k=kind, o=order: trade_document_generate(order_id=o.pk, kind=k, force=True),
            max(5, args.repeat // 3),
        )
        pages = render(kind=kind, context=context).count(b"/Type /Page\n")
        name = f"{kind} ({label})"
        results[name] = {
            "render": common.summary_ms(render_s),
            "render_cpu": common.summary_ms(CPU[id(render_s)]),
            "service": common.summary_ms(service_s),
            "pdf_bytes": len(render(kind=kind, context=context)),
        }
        rows.append(
            [
                name,
                round(statistics.median(render_s) * 1000, 1),
                round(common.percentile(render_s, 95) * 1000, 1),
                round(statistics.median(CPU[id(render_s)]) * 1000, 1),
                round(statistics.median(service_s) * 1000, 1),
                pages,
                results[name]["pdf_bytes"],
            ]
        )
    print(
        common.table(
            [
                "document",
                "render median ms",
                "render p95 ms",
                "render CPU median ms",
                "service median ms",
                "pages",
                "bytes",
            ],
            rows,
        )
    )

    fresh = [
        order_create(seller=seller, buyer=buyer, user=user, cartons_per_line=1)
        for _ in range(args.orders)
    ]
    started, started_cpu = time.perf_counter(), time.process_time()
    made = 0
    for order in fresh:
        for kind in DocumentKind.values:
            trade_document_generate(order_id=order.pk, kind=kind)
            made += 1
    elapsed = time.perf_counter() - started
    # the service's CPU in this process (rendering, Python); PostgreSQL's is not counted
    cpu = time.process_time() - started_cpu
    per_second = made / elapsed
    print(
        f"\none worker, in-process: {made} documents in {elapsed:.1f} s = {per_second:.1f}/s "
        f"({cpu:.1f} s of CPU in this process = {made / cpu:.1f}/s per busy core)"
    )
    results["throughput"] = {
        "documents": made,
        "seconds": round(elapsed, 2),
        "per_second": round(per_second, 2),
    }
    path = common.write_json("documents", {"args": vars(args), "results": results})
    print(f"load average {os.getloadavg()}; written {path}")


if __name__ == "__main__":
    main()
