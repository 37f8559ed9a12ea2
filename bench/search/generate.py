"""Build the benchmark catalogue: 1,000,000 published listings with 2-4 price tiers each.

    .venv/bin/python bench/search/generate.py [--listings 1000000] [--unpublished 20000]

Works in its own database (``marketplace_bench`` beside DATABASE_URL; created and migrated
if needed) and replaces whatever listings it held. Reference data goes in through the
services (HS codes, FX rates) and the ORM (200 sellers, their owners, one buyer); listings
and tiers are streamed into PostgreSQL with COPY from generated text (never the ORM one by
one). The stored search vector is a generated column, so PostgreSQL computes it per row.
Secondary indexes are dropped before the load and rebuilt after it (two at a time, one per
core), foreign keys are checked once at the end instead of per row, then VACUUM ANALYZE.
"""

import argparse
import io
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import common
from bench.search import vocabulary as vocab

TABLES = ("listings_listing", "listings_pricetier")
DROPPED_INDEXES_FILE = common.OUT / "generate-dropped-indexes.json"
LISTING_COLUMNS = (
    "id, created_at, updated_at, seller_id, title, description, category_id, hs_code, "
    "origin_country, ship_from, unit, moq, stock, lead_time_days, incoterms, "
    "unit_net_weight_kg, units_per_carton, carton_gross_weight_kg, carton_length_cm, "
    "carton_width_cm, carton_height_cm, currency, status, rejection_reason, published_at, "
    "price_max, price_min, price_min_usd"
)
TIER_COLUMNS = "listing_id, min_quantity, unit_price"
SELLERS_REVOKED = 0.10  # sellers verified once, since sent back to unverified (listings stay)
REVOKED_LISTING_SHARE = 0.08  # published listings of those sellers
TEN_THOUSANDTH = Decimal("0.0001")


@dataclass(frozen=True)
class Seller:
    id: int
    country: str
    verified: bool


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listings", type=int, default=1_000_000, help="published listings")
    parser.add_argument(
        "--unpublished", type=int, default=20_000, help="drafts, pending, rejected, archived on top"
    )
    parser.add_argument("--sellers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()

    started = time.monotonic()
    common.database_ensure()
    common.django_setup()
    from django.core.management import call_command

    step = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated                         {time.monotonic() - step:6.1f} s")

    step = time.monotonic()
    reference_data_load()
    print(f"HS codes and FX rates            {time.monotonic() - step:6.1f} s")

    step = time.monotonic()
    sellers = parties_ensure(count=args.sellers, seed=args.seed)
    print(f"{len(sellers)} sellers, owners, 1 buyer     {time.monotonic() - step:6.1f} s")

    figures = catalogue_load(
        sellers=sellers, published=args.listings, unpublished=args.unpublished, seed=args.seed
    )
    figures["total_s"] = round(time.monotonic() - started, 1)
    figures["word_counts"] = word_counts()
    print()
    print(
        common.table(
            ["step", "rows", "seconds", "rows/s"],
            [
                [
                    "COPY listings (+ search vector)",
                    figures["listings"],
                    figures["listings_s"],
                    figures["listings_rows_per_s"],
                ],
                [
                    "COPY price tiers",
                    figures["tiers"],
                    figures["tiers_s"],
                    figures["tiers_rows_per_s"],
                ],
                ["rebuild indexes", "", figures["indexes_s"], ""],
                ["foreign-key check", "", figures["fk_check_s"], ""],
                ["VACUUM ANALYZE", "", figures["vacuum_s"], ""],
                ["count search terms", figures["search_terms"], figures["search_terms_s"], ""],
                ["title words in date order", figures["title_words"], figures["title_words_s"], ""],
                [
                    "whole build",
                    figures["listings"],
                    figures["total_s"],
                    round(figures["listings"] / figures["total_s"]),
                ],
            ],
        )
    )
    print()
    print(
        common.table(["query", "matching published listings"], list(figures["word_counts"].items()))
    )
    path = common.write_json("generate", {"args": vars(args), **figures})
    print(f"\nwritten {path.relative_to(common.REPO)}")


def reference_data_load() -> None:
    from django.conf import settings

    from marketplace.trade.models import FxRate, HSCode
    from marketplace.trade.services import fx_rates_import, hs_codes_import, hs_codes_seed_fallback

    if not HSCode.objects.filter(level=6).exists():
        if Path(settings.HS_CODES_CSV).exists():
            hs_codes_import(path=settings.HS_CODES_CSV)
        else:
            hs_codes_seed_fallback()
    if not FxRate.objects.exists():
        fx_rates_import(path=common.REPO / "marketplace" / "trade" / "data" / "fx_rates_sample.csv")


def parties_ensure(*, count: int, seed: int) -> list[Seller]:
    """``count`` seller companies with an owner each (``bench-seller-N``), and one buyer."""
    from django.db import transaction

    from marketplace.accounts.enums import MembershipRole, VerificationStatus
    from marketplace.accounts.models import Company, Membership, User

    existing = list(Company.objects.filter(slug__startswith="bench-seller-").order_by("id"))
    if len(existing) != count:
        rng = random.Random(seed)
        countries = list(vocab.ORIGINS)
        weights = [vocab.ORIGINS[c][0] for c in countries]
        now = datetime.now(UTC)
        with transaction.atomic():
            _listings_truncate()
            Membership.objects.filter(company__slug__startswith="bench-").delete()
            Company.objects.filter(slug__startswith="bench-").delete()
            User.objects.filter(email__startswith="bench-").delete()
            companies = []
            for n in range(1, count + 1):
                country = rng.choices(countries, weights)[0]
                verified = rng.random() >= SELLERS_REVOKED
                companies.append(
                    Company(
                        legal_name=f"Bench Exporter {n:03d} Co., Ltd",
                        trading_name=f"{vocab.brand_names()[n * 7 % 2000]} Trading {n:03d}",
                        slug=f"bench-seller-{n:03d}",
                        country=country,
                        address_line1=f"{n} Harbour Road",
                        city=vocab.ORIGINS[country][1][0],
                        registration_number=f"BENCH-{n:06d}",
                        sells=True,
                        buys=False,
                        default_currency="USD",
                        verification_status=(
                            VerificationStatus.VERIFIED
                            if verified
                            else VerificationStatus.UNVERIFIED
                        ),
                        verified_at=now - timedelta(days=800) if verified else None,
                    )
                )
            companies = Company.objects.bulk_create(companies)
            buyer = Company.objects.create(
                legal_name="Bench Importer GmbH",
                slug="bench-buyer",
                country="DE",
                address_line1="Hafenstraße 1",
                city="Hamburg",
                sells=False,
                buys=True,
                default_currency="EUR",
            )
            users = []
            for company in [*companies, buyer]:
                user = User(email=f"{company.slug}@example.com", full_name=company.legal_name)
                user.set_unusable_password()
                users.append(user)
            users = User.objects.bulk_create(users)
            Membership.objects.bulk_create(
                Membership(user=u, company=c, role=MembershipRole.OWNER)
                for u, c in zip(users, [*companies, buyer], strict=True)
            )
        existing = companies
    return [
        Seller(id=c.id, country=str(c.country), verified=c.verification_status == "verified")
        for c in existing
    ]


def _listings_truncate() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        # orders' lines point at listings; in the bench database they go with them.
        cur.execute(
            "TRUNCATE listings_pricetier, listings_listingimage, listings_moderationevent, "
            "listings_listing RESTART IDENTITY CASCADE"
        )


def catalogue_load(*, sellers: list[Seller], published: int, unpublished: int, seed: int) -> dict:
    from django.db import connection, transaction

    with transaction.atomic():
        _listings_truncate()
    indexes = indexes_drop()
    categories = _categories()
    hs_by_chapter = _hs_codes()
    fx = _usd_rates()
    figures: dict = {}

    with tempfile.TemporaryFile("w+", encoding="utf-8") as tiers_file:
        generator = ListingRows(
            sellers=sellers,
            categories=categories,
            hs_by_chapter=hs_by_chapter,
            usd_rates=fx,
            seed=seed,
            tiers_out=tiers_file,
        )
        step = time.monotonic()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            # Foreign keys are checked in one pass after the load (fk_check), not per row.
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.cursor.copy_expert(
                f"COPY listings_listing ({LISTING_COLUMNS}) FROM STDIN",
                ChunkReader(generator.rows(published=published, unpublished=unpublished)),
                size=1 << 20,
            )
        seconds = time.monotonic() - step
        total = published + unpublished
        figures.update(
            listings=total,
            listings_published=published,
            listings_s=round(seconds, 1),
            listings_rows_per_s=round(total / seconds),
        )
        print(
            f"COPY {total:,} listings            {seconds:6.1f} s  ({total / seconds:,.0f} rows/s)"
        )

        step = time.monotonic()
        tiers_file.seek(0)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.cursor.copy_expert(
                f"COPY listings_pricetier ({TIER_COLUMNS}) FROM STDIN", tiers_file, size=1 << 20
            )
        seconds = time.monotonic() - step
        figures.update(
            tiers=generator.tier_count,
            tiers_s=round(seconds, 1),
            tiers_rows_per_s=round(generator.tier_count / seconds),
        )
        print(
            f"COPY {generator.tier_count:,} price tiers         {seconds:6.1f} s  ({generator.tier_count / seconds:,.0f} rows/s)"
        )

    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )

    step = time.monotonic()
    indexes_create(indexes)
    figures["indexes_s"] = round(time.monotonic() - step, 1)
    print(f"rebuilt {len(indexes)} indexes                {figures['indexes_s']:6.1f} s")

    step = time.monotonic()
    fk_check()
    figures["fk_check_s"] = round(time.monotonic() - step, 1)

    step = time.monotonic()
    with connection.cursor() as cur:
        for table in (
            *TABLES,
            "accounts_company",
            "trade_hscode",
            "trade_fxrate",
            "listings_category",
        ):
            cur.execute(f"VACUUM (ANALYZE) {table}")
    figures["vacuum_s"] = round(time.monotonic() - step, 1)
    print(f"VACUUM ANALYZE                   {figures['vacuum_s']:6.1f} s")

    # The COPY ran with triggers off (replica role): the spelling vocabulary is counted afresh.
    from listings.search import search_terms_refresh

    step = time.monotonic()
    figures["search_terms"] = search_terms_refresh()
    figures["search_terms_s"] = round(time.monotonic() - step, 1)
    print(
        f"search terms ({figures['search_terms']:,} words)     {figures['search_terms_s']:6.1f} s"
    )
    # Nor did the trigger that keeps the title words in date order (TitleWord) run: rebuilt,
    # then vacuumed so that reading a word's newest listings is an index-only scan.
    from listings.search import title_words_refresh

    step = time.monotonic()
    figures["title_words"] = title_words_refresh()
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) listings_titleword")
    figures["title_words_s"] = round(time.monotonic() - step, 1)
    print(f"title words ({figures['title_words']:,} rows)  {figures['title_words_s']:6.1f} s")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_total_relation_size('listings_listing'))")
        figures["listing_table_size"] = cur.fetchone()[0]
    return figures


def indexes_drop() -> list[str]:
    """Drop the secondary indexes of the loaded tables; return their definitions.

    The definitions are also kept in bench/out/ so that an interrupted run restores them.
    """
    from django.db import connection

    previous = json.loads(DROPPED_INDEXES_FILE.read_text()) if DROPPED_INDEXES_FILE.exists() else []
    indexes_create(previous)
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT i.relname, pg_get_indexdef(ix.indexrelid)
            FROM pg_index ix
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_class t ON t.oid = ix.indrelid
            WHERE t.relname = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)
            ORDER BY i.relname
            """,
            [list(TABLES)],
        )
        found = cur.fetchall()
        common.OUT.mkdir(parents=True, exist_ok=True)
        DROPPED_INDEXES_FILE.write_text(json.dumps([d for _, d in found], indent=2))
        for name, _ in found:
            cur.execute(f'DROP INDEX "{name}"')
    return [d for _, d in found]


def indexes_create(definitions: list[str]) -> None:
    """Rebuild indexes two at a time (GIN builds are single-threaded; there are 2 cores)."""
    import psycopg2

    if not definitions:
        return
    dsn = common.bench_database_url()

    def build(definition: str) -> tuple[str, float]:
        started = time.monotonic()
        conn = psycopg2.connect(dsn)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SET maintenance_work_mem = '1GB'")
                cur.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        finally:
            conn.close()
        return definition.split(" ON ")[0].split()[-1], time.monotonic() - started

    # Longest first (GIN), so that the two workers finish together.
    ordered = sorted(definitions, key=lambda d: (" gin " not in d.lower(), d))
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, seconds in pool.map(build, ordered):
            print(f"  index {name:<45} {seconds:6.1f} s")
    if DROPPED_INDEXES_FILE.exists():
        DROPPED_INDEXES_FILE.unlink()


def fk_check() -> None:
    """The one-pass check of what per-row foreign-key triggers would have checked."""
    from django.db import connection

    checks = {
        "seller": "SELECT count(*) FROM listings_listing l LEFT JOIN accounts_company c ON c.id = l.seller_id WHERE c.id IS NULL",
        "category": "SELECT count(*) FROM listings_listing l LEFT JOIN listings_category c ON c.id = l.category_id WHERE c.id IS NULL",
        "hs_code": "SELECT count(*) FROM listings_listing l LEFT JOIN trade_hscode h ON h.code = l.hs_code WHERE h.code IS NULL",
        "tier listing": "SELECT count(*) FROM listings_pricetier t LEFT JOIN listings_listing l ON l.id = t.listing_id WHERE l.id IS NULL",
    }
    with connection.cursor() as cur:
        for name, query in checks.items():
            cur.execute(query)
            broken = cur.fetchone()[0]
            if broken:
                raise SystemExit(f"{broken} rows with a dangling {name} reference")


def word_counts() -> dict[str, int]:
    """How many published listings each kind of query matches (full-text, no typo tolerance)."""
    from django.db import connection

    words = {
        "rare: " + vocab.QUERY_MIX["rare_word"][0][2:]: vocab.QUERY_MIX["rare_word"][0][2:],
        "rare: " + vocab.QUERY_MIX["rare_word"][1][2:]: vocab.QUERY_MIX["rare_word"][1][2:],
        "common: premium": "premium",
        "common: steel": "steel",
        "common: cotton": "cotton",
        "two words: cotton shirt": "cotton shirt",
        "two words: ceramic mug": "ceramic mug",
    }
    counts = {}
    with connection.cursor() as cur:
        for label, text in words.items():
            cur.execute(
                "SELECT count(*) FROM listings_listing WHERE status = 'published' "
                "AND search_vector @@ websearch_to_tsquery('english', %s)",
                [text],
            )
            counts[label] = cur.fetchone()[0]
    return counts


def _categories() -> list[tuple[int, str]]:
    from listings.models import Category

    return [
        (c.id, c.name)
        for c in Category.objects.filter(parent__isnull=False).order_by("id")
        if c.name in vocab.CATALOGUE
    ]


def _hs_codes() -> dict[str, list[str]]:
    from marketplace.trade.models import HSCode

    by_chapter: dict[str, list[str]] = {}
    for code in HSCode.objects.filter(level=6).values_list("code", flat=True):
        by_chapter.setdefault(code[:2], []).append(code)
    by_chapter["*"] = [c for codes in by_chapter.values() for c in codes]
    return by_chapter


def _usd_rates() -> dict[str, Decimal]:
    """How many units of each currency one US dollar buys (latest stored rate)."""
    from marketplace.trade.models import FxRate

    rates = {"USD": Decimal(1)}
    for rate in FxRate.objects.filter(base="USD").order_by("quote", "-as_of"):
        rates.setdefault(rate.quote, rate.rate)
    return rates


class ChunkReader:
    """A file-like object for ``copy_expert`` that reads from an iterator of text chunks."""

    def __init__(self, chunks: Iterator[str]):
        self._chunks = chunks

    def read(self, size: int = -1) -> str:
        return next(self._chunks, "")

    def readline(self, size: int = -1) -> str:  # copy_expert only calls read(); kept for io
        return self.read(size)


def _money(units: int) -> str:
    """A price in ten-thousandths as the exact decimal text COPY expects."""
    return f"{units // 10000}.{units % 10000:04d}"


class ListingRows:
    """COPY text rows of listings; writes their price tiers to ``tiers_out`` on the way."""

    CHUNK = 5000

    def __init__(
        self, *, sellers, categories, hs_by_chapter, usd_rates, seed, tiers_out: io.TextIOBase
    ):
        self.rng = random.Random(seed)
        self.tiers_out = tiers_out
        self.tier_count = 0
        self.now = datetime.now(UTC).replace(microsecond=0)
        verified = [s for s in sellers if s.verified]
        # A few big sellers and a long tail (Zipf-like), as on every marketplace.
        self.sellers = sellers
        self.seller_weights = list(
            accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(sellers)))
        )
        self.verified_sellers = verified
        self.revoked_sellers = [s for s in sellers if not s.verified]
        self.verified_weights = list(
            accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(verified)))
        )
        self.categories = []
        for category_id, name in categories:
            nouns, materials, unit, (low, high), chapters = vocab.CATALOGUE[name]
            codes = [c for ch in chapters for c in hs_by_chapter.get(ch, [])] or hs_by_chapter["*"]
            self.categories.append(
                (category_id, nouns, materials, unit, math.log(low), math.log(high), codes)
            )
        self.origins = list(vocab.ORIGINS)
        self.origin_weights = list(accumulate(vocab.ORIGINS[o][0] for o in self.origins))
        self.currencies = [c for c in vocab.CURRENCY_WEIGHTS if c in usd_rates]
        self.currency_weights = list(accumulate(vocab.CURRENCY_WEIGHTS[c] for c in self.currencies))
        self.moq_weights = list(accumulate(vocab.MOQ_WEIGHTS))
        self.usd_rates = usd_rates
        self.usd_rates_float = {c: float(r) for c, r in usd_rates.items()}
        self.brands = vocab.brand_names()
        self.adjectives = vocab.TITLE_ADJECTIVES

    def rows(self, *, published: int, unpublished: int) -> Iterator[str]:
        self.total = published + unpublished
        lines: list[str] = []
        tiers: list[str] = []
        for listing_id in range(1, published + unpublished + 1):
            lines.append(self._row(listing_id, tiers, published=listing_id <= published))
            if len(lines) == self.CHUNK:
                self.tiers_out.write("".join(tiers))
                tiers.clear()
                yield "".join(lines)
                lines.clear()
        self.tiers_out.write("".join(tiers))
        self.tiers_out.flush()
        if lines:
            yield "".join(lines)

    def _row(self, listing_id: int, tiers: list[str], *, published: bool) -> str:
        rng = self.rng
        if published:
            seller = rng.choices(self.verified_sellers, cum_weights=self.verified_weights)[0]
            # Revoked sellers keep their published listings: the "verified" facet filters them.
            if self.revoked_sellers and rng.random() < REVOKED_LISTING_SHARE:
                seller = rng.choice(self.revoked_sellers)
        else:
            seller = rng.choices(self.sellers, cum_weights=self.seller_weights)[0]
        category_id, nouns, materials, unit, log_low, log_high, codes = rng.choice(self.categories)
        noun = rng.choice(nouns)
        material = rng.choice(materials)
        words = []
        for adjective, share in self.adjectives:
            if rng.random() < share:
                words.append(adjective)
                break
        brand = (
            self.brands[rng.randrange(len(self.brands))] if rng.random() < vocab.BRAND_SHARE else ""
        )
        if brand:
            words.append(brand)
        words += [material, noun]
        if rng.random() < 0.3:
            words.append(
                f"{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}-{rng.randrange(100, 1000)}"
            )
        title = " ".join(words)
        title = title[0].upper() + title[1:]

        origin = (
            seller.country
            if rng.random() < 0.85
            else rng.choices(self.origins, cum_weights=self.origin_weights)[0]
        )
        ports = vocab.ORIGINS.get(origin, (0, ["Rotterdam"]))[1]
        port = rng.choice(ports)
        moq = rng.choices(vocab.MOQS, cum_weights=self.moq_weights)[0]
        lead = rng.randint(3, 60)
        sentences = [
            f"{material.capitalize()} {noun} for {rng.choice(vocab.USES)}.",
            f"{rng.choice(vocab.FEATURES).capitalize()}; {rng.choice(vocab.FEATURES)}.",
        ]
        if rng.random() < 0.5:
            sentences.append(f"Certified {rng.choice(vocab.CERTIFICATIONS)}.")
        if brand:
            sentences.append(f"Original {brand} quality.")
        sentences.append(
            f"Packed in {rng.choice(vocab.PACKING)}, ships from {port} within {lead} days."
        )
        description = " ".join(sentences)

        incoterms = [
            term for term, share in vocab.INCOTERM_WEIGHTS.items() if rng.random() < share
        ] or ["FOB"]

        currency = rng.choices(self.currencies, cum_weights=self.currency_weights)[0]
        rate = self.usd_rates_float[currency]
        units = max(1, round(math.exp(rng.uniform(log_low, log_high)) * rate * 10000))
        tier_count = rng.choices((2, 3, 4), cum_weights=(3, 7, 10))[0]
        quantity = moq
        first = units
        for position in range(tier_count):
            if position:
                quantity *= rng.choice((2, 3, 5, 10))
                units = max(1, int(units * (1 - rng.uniform(0.03, 0.15))))
            tiers.append(f"{listing_id}\t{quantity}\t{_money(units)}\n")
        self.tier_count += tier_count
        price_min_usd = max(
            TEN_THOUSANDTH,
            (Decimal(_money(units)) / self.usd_rates[currency]).quantize(
                TEN_THOUSANDTH, ROUND_HALF_UP
            ),
        )

        if unit == "tonne":
            net_weight, per_carton = 1000.0, 1
        elif unit == "kg":
            net_weight, per_carton = 1.0, rng.choice((1, 5, 10, 20, 25))
        else:
            net_weight, per_carton = (
                round(rng.uniform(0.02, 15), 3),
                rng.choice((1, 4, 6, 10, 12, 20, 24, 50, 100)),
            )
        gross = min(9_999_999.0, net_weight * per_carton * 1.08 + 0.3)

        # Listings are written in the order they were published, as a live catalogue's table
        # fills up (the newest at the end, within a day of each other): newest-first scans read
        # neighbouring rows, not one random heap page per listing.
        age = (1 - listing_id / self.total) * 730 * 86400 + rng.randrange(86400)
        published_at = self.now - timedelta(seconds=int(age))
        created_at = published_at - timedelta(seconds=rng.randrange(20 * 86400))
        if published:
            status, reason, published_text = "published", "", published_at.isoformat()
        else:
            status = rng.choice(("draft", "pending_review", "rejected", "archived"))
            reason = "The HS code does not match the product." if status == "rejected" else ""
            published_text = published_at.isoformat() if status == "archived" else "\\N"
        return (
            "\t".join(
                (
                    str(listing_id),
                    created_at.isoformat(),
                    published_at.isoformat(),
                    str(seller.id),
                    title,
                    description,
                    str(category_id),
                    rng.choice(codes),
                    origin,
                    f"{port}, {origin}",
                    unit,
                    str(moq),
                    str(rng.randrange(0, 100_000)),
                    str(lead),
                    "{" + ",".join(incoterms) + "}",
                    f"{net_weight:.3f}",
                    str(per_carton),
                    f"{gross:.3f}",
                    f"{rng.randrange(20, 120)}.0",
                    f"{rng.randrange(15, 80)}.0",
                    f"{rng.randrange(10, 60)}.0",
                    currency,
                    status,
                    reason,
                    published_text,
                    _money(first),
                    _money(units),
                    str(price_min_usd),
                )
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
