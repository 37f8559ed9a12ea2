"""Writes of the trade vocabulary: importing the HS table and FX rates."""

import csv
import io
import logging
import re
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.core.exceptions import DomainError
from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.hs_fallback import HS_FALLBACK_ROWS
from marketplace.trade.models import FxRate, HSCode

logger = logging.getLogger(__name__)

HS_COLUMNS = ("section", "hscode", "description", "parent", "level")
FX_COLUMNS = ("base", "quote", "rate", "as_of", "source")
HS_SECTIONS = frozenset(
    [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "VI",
        "VII",
        "VIII",
        "IX",
        "X",
        "XI",
        "XII",
        "XIII",
        "XIV",
        "XV",
        "XVI",
        "XVII",
        "XVIII",
        "XIX",
        "XX",
        "XXI",
    ]
)
# UN Comtrade adds rows under section "TOTAL" (the grand total and chapter 99 "not
# specified according to kind"): reporting aggregates, not part of the HS nomenclature.
HS_AGGREGATE_SECTION = "TOTAL"
HS_CHAPTER_PARENT = "TOTAL"
MAX_ERRORS_LISTED = 20
# Plausible rates for every supported currency, for the demo (seed_demo imports it).
FX_RATES_SAMPLE_CSV = Path(__file__).resolve().parent / "data" / "fx_rates_sample.csv"
FX_SOURCE_TIMEOUT_SECONDS = 30
FX_SOURCE_MAX_LENGTH = 200  # FxRate.source
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RATE_STEP = Decimal("0.00000001")
_RATE_LIMIT = Decimal(10) ** 10  # DecimalField(max_digits=18, decimal_places=8)


class ImportFileError(DomainError):
    """The file cannot be imported; ``errors`` lists each problem with its line number."""

    def __init__(self, message: str, *, errors: list[str] | None = None):
        self.errors = errors or []
        if self.errors:
            listed = self.errors[:MAX_ERRORS_LISTED]
            more = len(self.errors) - len(listed)
            message = "\n".join(
                [message, *(f"  {e}" for e in listed)] + ([f"  … and {more} more"] if more else [])
            )
        super().__init__(message, code="invalid_file")


@dataclass(frozen=True)
class ImportResult:
    rows_read: int
    created: int
    updated: int
    unchanged: int
    skipped: int = 0
    by_level: dict[int, int] = field(default_factory=dict)

    def summary(self) -> str:
        text = (
            f"{self.rows_read} rows read: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        if self.skipped:
            text += f", {self.skipped} skipped"
        if self.by_level:
            text += " (" + ", ".join(f"level {k}: {v}" for k, v in sorted(self.by_level.items()))
            text += ")"
        return text


def _read_csv(path: str | Path, *, columns: tuple[str, ...]) -> csv.DictReader:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"{path}: not UTF-8 text.") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read ({exc.strerror}).") from None
    return _csv_reader(text, origin=str(path), columns=columns)


def _csv_reader(text: str, *, origin: str, columns: tuple[str, ...]) -> csv.DictReader:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise ImportFileError(
            f"{origin}: the file is empty; expected the header {','.join(columns)}."
        )
    missing = [c for c in columns if c not in header]
    if missing:
        raise ImportFileError(
            f"{origin}: missing column(s) {', '.join(missing)}; "
            f"expected the header {','.join(columns)}."
        )
    reader.fieldnames = header
    return reader


# HS codes


@dataclass(frozen=True)
class _HSRow:
    code: str
    description: str
    level: int
    parent: str | None
    section: str


def _hs_rows_parse(
    rows: Iterable[tuple[int, Mapping[str, str | None]]], *, origin: str
) -> tuple[list[_HSRow], int, int]:
    """Validate every row before anything is written; returns (rows, rows read, skipped)."""
    parsed: list[_HSRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    read = skipped = 0
    for line, raw in rows:
        read += 1
        section = (raw.get("section") or "").strip()
        if section == HS_AGGREGATE_SECTION:
            skipped += 1
            continue
        code = (raw.get("hscode") or "").strip()
        description = " ".join((raw.get("description") or "").split())
        parent = (raw.get("parent") or "").strip()
        level_text = (raw.get("level") or "").strip()
        problems = []
        if section not in HS_SECTIONS:
            problems.append(f"section {section!r} is not a roman numeral I to XXI")
        if not (code.isascii() and code.isdigit() and len(code) in (2, 4, 6)):
            problems.append(f"code {code!r} is not 2, 4 or 6 digits")
        elif level_text != str(len(code)):
            problems.append(f"level {level_text!r} does not match code {code!r}")
        else:
            expected_parent = HS_CHAPTER_PARENT if len(code) == 2 else code[:-2]
            if parent != expected_parent:
                problems.append(f"parent {parent!r} of {code!r} should be {expected_parent!r}")
        if not description:
            problems.append("description is empty")
        if code in seen:
            problems.append(f"code {code!r} repeats line {seen[code]}")
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
            continue
        seen[code] = line
        parsed.append(
            _HSRow(
                code=code,
                description=description,
                level=len(code),
                parent=None if len(code) == 2 else parent,
                section=section,
            )
        )
    orphans = {r.parent for r in parsed if r.parent and r.parent not in seen}
    if orphans:
        known = set(HSCode.objects.filter(code__in=orphans).values_list("code", flat=True))
        errors.extend(
            f"line {seen[r.code]}: parent {r.parent!r} of {r.code!r} is neither in the file "
            "nor already imported"
            for r in parsed
            if r.parent in orphans - known
        )
    if errors:
        raise ImportFileError(f"{origin}: nothing was imported.", errors=errors)
    return parsed, read, skipped


def _hs_codes_upsert(rows: list[_HSRow]) -> tuple[int, int]:
    """Insert new codes and update changed ones in bulk; returns (created, updated)."""
    existing = {
        code: (description, level, parent, section)
        for code, description, level, parent, section in HSCode.objects.values_list(
            "code", "description", "level", "parent_id", "section"
        )
    }
    created = updated = 0
    to_write = []
    for row in rows:
        before = existing.get(row.code)
        if before == (row.description, row.level, row.parent, row.section):
            continue
        if before is None:
            created += 1
        else:
            updated += 1
        to_write.append(
            HSCode(
                code=row.code,
                description=row.description,
                level=row.level,
                parent_id=row.parent,
                section=row.section,
            )
        )
    # Parents first; the foreign key is checked at commit anyway (deferred).
    to_write.sort(key=lambda h: (h.level, h.code))
    HSCode.objects.bulk_create(
        to_write,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["description", "level", "parent", "section", "updated_at"],
    )
    return created, updated


def _hs_result(rows: list[_HSRow], *, read: int, skipped: int, created: int, updated: int):
    by_level: dict[int, int] = {}
    for row in rows:
        by_level[row.level] = by_level.get(row.level, 0) + 1
    return ImportResult(
        rows_read=read,
        created=created,
        updated=updated,
        unchanged=len(rows) - created - updated,
        skipped=skipped,
        by_level=by_level,
    )


def hs_codes_import(*, path: str | Path) -> ImportResult:
    """Upsert the HS table from a CSV (section,hscode,description,parent,level).

    Every row is checked first; one bad row refuses the whole file and nothing is written.
    Codes missing from the file are kept: listings may refer to them.
    """
    reader = _read_csv(path, columns=HS_COLUMNS)
    with transaction.atomic(durable=True):
        rows, read, skipped = _hs_rows_parse(
            ((reader.line_num, raw) for raw in reader), origin=str(path)
        )
        created, updated = _hs_codes_upsert(rows)
    result = _hs_result(rows, read=read, skipped=skipped, created=created, updated=updated)
    logger.info("HS codes imported from %s: %s", path, result.summary())
    return result


def hs_codes_seed_fallback() -> ImportResult:
    """Upsert the small built-in HS slice (hs_fallback.py) for a demo without the CSV."""
    numbered = (
        (number, dict(zip(HS_COLUMNS, (s, c, d, p, str(lvl)), strict=True)))
        for number, (s, c, d, p, lvl) in enumerate(HS_FALLBACK_ROWS, start=1)
    )
    with transaction.atomic(durable=True):
        rows, read, skipped = _hs_rows_parse(numbered, origin="built-in HS codes")
        created, updated = _hs_codes_upsert(rows)
    return _hs_result(rows, read=read, skipped=skipped, created=created, updated=updated)


# FX rates


@dataclass(frozen=True)
class _FxRow:
    base: str
    quote: str
    rate: Decimal
    as_of: date
    source: str


def _fx_rows_parse(reader: csv.DictReader, *, origin: str) -> list[_FxRow]:
    parsed: list[_FxRow] = []
    errors: list[str] = []
    seen: dict[tuple[str, str, date], int] = {}
    for raw in reader:
        line = reader.line_num
        base = (raw.get("base") or "").strip().upper()
        quote = (raw.get("quote") or "").strip().upper()
        rate_text = (raw.get("rate") or "").strip()
        as_of_text = (raw.get("as_of") or "").strip()
        source = (raw.get("source") or "").strip()
        problems = []
        for name, code in (("base", base), ("quote", quote)):
            if code not in CURRENCIES:
                problems.append(f"{name} {code!r} is not a supported currency")
        if base == quote and base:
            problems.append(f"base and quote are both {base}")
        rate: Decimal | None
        try:
            rate = Decimal(rate_text)
        except InvalidOperation:
            rate = None
        if rate is None or not rate.is_finite() or rate <= 0:
            problems.append(f"rate {rate_text!r} is not a positive decimal number")
        elif rate != rate.quantize(_RATE_STEP) or rate >= _RATE_LIMIT:
            problems.append(f"rate {rate_text!r} needs more than 10 digits or 8 decimals")
        as_of: date | None = None
        if _ISO_DATE.match(as_of_text):
            try:
                as_of = date.fromisoformat(as_of_text)
            except ValueError:
                as_of = None
        if as_of is None:
            problems.append(f"as_of {as_of_text!r} is not an ISO date (YYYY-MM-DD)")
        if len(source) > FX_SOURCE_MAX_LENGTH:
            problems.append(f"source is longer than {FX_SOURCE_MAX_LENGTH} characters")
        if not problems and as_of is not None and rate is not None:
            key = (base, quote, as_of)
            if key in seen:
                problems.append(f"{base}/{quote} on {as_of} repeats line {seen[key]}")
            else:
                seen[key] = line
        if problems:
            errors.append(f"line {line}: " + "; ".join(problems))
            continue
        assert rate is not None and as_of is not None
        parsed.append(_FxRow(base=base, quote=quote, rate=rate, as_of=as_of, source=source))
    if errors:
        raise ImportFileError(f"{origin}: nothing was imported.", errors=errors)
    return parsed


def _fx_rates_upsert(rows: list[_FxRow]) -> ImportResult:
    existing = {
        (base, quote, as_of): (rate, source)
        for base, quote, as_of, rate, source in FxRate.objects.filter(
            as_of__in={r.as_of for r in rows}
        ).values_list("base", "quote", "as_of", "rate", "source")
    }
    created = updated = 0
    to_write = []
    for row in rows:
        before = existing.get((row.base, row.quote, row.as_of))
        if before == (row.rate, row.source):
            continue
        if before is None:
            created += 1
        else:
            updated += 1
        to_write.append(
            FxRate(
                base=row.base, quote=row.quote, rate=row.rate, as_of=row.as_of, source=row.source
            )
        )
    FxRate.objects.bulk_create(
        to_write,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["base", "quote", "as_of"],
        update_fields=["rate", "source", "updated_at"],
    )
    return ImportResult(
        rows_read=len(rows),
        created=created,
        updated=updated,
        unchanged=len(rows) - created - updated,
    )


def fx_rates_import(*, path: str | Path) -> ImportResult:
    """Upsert FX rates on (base, quote, as_of) from a CSV (base,quote,rate,as_of,source).

    One bad row refuses the whole file, listing every bad line; nothing is written.
    """
    reader = _read_csv(path, columns=FX_COLUMNS)
    rows = _fx_rows_parse(reader, origin=str(path))
    with transaction.atomic(durable=True):
        result = _fx_rates_upsert(rows)
    logger.info("FX rates imported from %s: %s", path, result.summary())
    return result


def _fx_source_text(source: str) -> str:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=FX_SOURCE_TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.read().decode("utf-8-sig")
    try:
        return Path(source).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(f"{source}: no such file.") from None
    except UnicodeDecodeError:
        raise ImportFileError(f"{source}: not UTF-8 text.") from None


def fx_rates_refresh() -> ImportResult | None:
    """Import FX rates from ``settings.FX_RATES_SOURCE`` (a path or http(s) URL), if set.

    Network errors propagate (``URLError``/``TimeoutError``) so the task can retry them.
    """
    source = (settings.FX_RATES_SOURCE or "").strip()
    if not source:
        logger.info("FX rates not refreshed: FX_RATES_SOURCE is not set.")
        return None
    text = _fx_source_text(source)
    rows = _fx_rows_parse(_csv_reader(text, origin=source, columns=FX_COLUMNS), origin=source)
    with transaction.atomic(durable=True):
        result = _fx_rates_upsert(rows)
    logger.info(
        "FX rates refreshed from %s at %s: %s", source, timezone.now().isoformat(), result.summary()
    )
    return result
