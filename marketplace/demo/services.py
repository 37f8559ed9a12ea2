"""The demo data that `make run` loads: one login per kind of party, all with one password.

The seed is the trusted bootstrap, so it sets verification directly instead of going
through the admin review. Running it again creates nothing new: it finds every row by
its natural key (email, company slug) and puts it back into the demo state.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, Membership, User
from marketplace.demo.listings import ListingSeedReport, demo_listings_seed
from marketplace.demo.orders import demo_orders_seed
from marketplace.demo.rfqs import demo_rfqs_seed
from marketplace.trade.models import FxRate, HSCode
from marketplace.trade.services import (
    ImportResult,
    fx_rates_import,
    hs_codes_import,
    hs_codes_seed_fallback,
)

DEMO_PASSWORD = "marketplace-demo"  # noqa: S105 - published on purpose: demo logins only

# The full HS 2022 table has about 6,900 rows; above this many, it is already loaded.
HS_CODES_LOADED_THRESHOLD = 6_000
FX_RATES_SAMPLE_CSV = (
    Path(settings.BASE_DIR) / "marketplace" / "trade" / "data" / "fx_rates_sample.csv"
)


@dataclass(frozen=True)
class DemoCompany:
    slug: str
    legal_name: str
    trading_name: str
    country: str
    address_line1: str
    city: str
    region: str
    postal_code: str
    registration_number: str
    vat_number: str
    eori_number: str
    sells: bool
    buys: bool
    default_currency: str
    verified: bool

    def field_values(self) -> dict[str, object]:
        return {
            "legal_name": self.legal_name,
            "trading_name": self.trading_name,
            "country": self.country,
            "address_line1": self.address_line1,
            "address_line2": "",
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "registration_number": self.registration_number,
            "vat_number": self.vat_number,
            "eori_number": self.eori_number,
            "sells": self.sells,
            "buys": self.buys,
            "default_currency": self.default_currency,
        }


@dataclass(frozen=True)
class DemoLogin:
    email: str
    full_name: str
    description: str
    company: DemoCompany | None = None
    is_superuser: bool = False


HANGZHOU_SELLER = DemoCompany(
    slug="hangzhou-westlake-trading",
    legal_name="Hangzhou Westlake Trading Co., Ltd.",
    trading_name="Westlake Trading",
    country="CN",
    address_line1="Room 1208, Building 3, No. 88 Wensan Road, Xihu District",
    city="Hangzhou",
    region="Zhejiang",
    postal_code="310012",
    # A unified social credit code (with a valid check character) is both the
    # registration number and the taxpayer id of a Chinese company.
    registration_number="91330106MA2GL8Q4XK",
    vat_number="91330106MA2GL8Q4XK",
    eori_number="",
    sells=True,
    buys=False,
    default_currency="USD",
    verified=True,
)
OSAKA_SELLER = DemoCompany(
    slug="naniwa-precision-tools",
    legal_name="Naniwa Precision Tools Co., Ltd.",
    trading_name="Naniwa Tools",
    country="JP",
    address_line1="2-3-14 Utsubohonmachi, Nishi-ku",
    city="Osaka",
    region="Osaka",
    postal_code="550-0004",
    registration_number="7120001087423",  # corporate number, valid check digit
    vat_number="T7120001087423",  # qualified invoice issuer number
    eori_number="",
    sells=True,
    buys=False,
    default_currency="JPY",
    verified=True,
)
FREIBURG_SELLER = DemoCompany(
    slug="schwarzwald-feinmechanik",
    legal_name="Schwarzwald Feinmechanik GmbH",
    trading_name="",
    country="DE",
    address_line1="Habsburgerstraße 112",
    city="Freiburg im Breisgau",
    region="Baden-Württemberg",
    postal_code="79104",
    registration_number="HRB 712345 (Amtsgericht Freiburg)",
    vat_number="DE293175843",
    eori_number="DE4721935",
    sells=True,
    buys=False,
    default_currency="EUR",
    verified=False,
)
COLOGNE_BUYER = DemoCompany(
    slug="rheinland-import",
    legal_name="Rheinland Import GmbH",
    trading_name="Rheinland Import",
    country="DE",
    address_line1="Hansaring 61",
    city="Köln",
    region="Nordrhein-Westfalen",
    postal_code="50670",
    registration_number="HRB 98765 (Amtsgericht Köln)",
    vat_number="DE814639251",
    eori_number="DE8352716",
    sells=False,
    buys=True,
    default_currency="EUR",
    verified=False,
)
NAIROBI_BUYER = DemoCompany(
    slug="nairobi-hardware-supplies",
    legal_name="Nairobi Hardware Supplies Ltd",
    trading_name="Nairobi Hardware",
    country="KE",
    address_line1="Enterprise Road, Industrial Area, Plot 209/8135",
    city="Nairobi",
    region="Nairobi County",
    postal_code="00100",
    registration_number="PVT-JZU7K2LX",
    vat_number="P051623749K",  # KRA PIN
    eori_number="",
    sells=False,
    buys=True,
    default_currency="KES",
    verified=False,
)

DEMO_COMPANIES: tuple[DemoCompany, ...] = (
    HANGZHOU_SELLER,
    OSAKA_SELLER,
    FREIBURG_SELLER,
    COLOGNE_BUYER,
    NAIROBI_BUYER,
)
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        email="admin@demo.test",
        full_name="Platform Admin",
        description="Platform administrator (Django admin)",
        is_superuser=True,
    ),
    DemoLogin(
        email="seller@demo.test",
        full_name="Li Wei",
        description="Seller, verified, Hangzhou CN, USD",
        company=HANGZHOU_SELLER,
    ),
    DemoLogin(
        email="seller2@demo.test",
        full_name="Sato Haruka",
        description="Seller, verified, Osaka JP, JPY",
        company=OSAKA_SELLER,
    ),
    DemoLogin(
        email="seller3@demo.test",
        full_name="Anna Becker",
        description="Seller, not yet verified, Freiburg DE, EUR",
        company=FREIBURG_SELLER,
    ),
    DemoLogin(
        email="buyer@demo.test",
        full_name="Jonas Weber",
        description="Buyer (importer), Cologne DE, EUR",
        company=COLOGNE_BUYER,
    ),
    DemoLogin(
        email="buyer2@demo.test",
        full_name="Wanjiku Kamau",
        description="Buyer (importer), Nairobi KE, KES",
        company=NAIROBI_BUYER,
    ),
)


@dataclass
class SeedReport:
    """What one run of the seed did: rows created and updated per kind, and the logins."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    hs_codes_source: str = ""
    hs_codes: ImportResult | None = None
    hs_code_count: int = 0
    fx_rates: ImportResult | None = None
    fx_rate_count: int = 0
    logins: tuple[DemoLogin, ...] = DEMO_LOGINS
    password: str = DEMO_PASSWORD
    listings: ListingSeedReport | None = None


def demo_seed() -> SeedReport:
    """Load HS codes and FX rates, create or reset the demo logins and companies, then add the
    demo catalogue (listings with generated photos; see ``marketplace.demo.listings``).

    The trade imports are services with their own durable transactions, so they run
    first, one after the other; the demo parties (and what later builds on them) are
    written in one transaction of their own. Every step is idempotent, so a run that
    stops half-way is completed by the next.
    """
    report = SeedReport()
    _hs_codes_load(report=report)
    report.fx_rates = fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    report.fx_rate_count = FxRate.objects.count()
    sellers: dict[str, tuple[User, Company]] = {}
    moderator: User | None = None
    with transaction.atomic(durable=True):
        companies = {spec.slug: _company_put(spec=spec, report=report) for spec in DEMO_COMPANIES}
        for login in DEMO_LOGINS:
            user = _user_put(login=login, report=report)
            if login.is_superuser and moderator is None:
                moderator = user
            if login.company is not None:
                company = companies[login.company.slug]
                _owner_membership_put(user=user, company=company, report=report)
                if login.company.sells:
                    sellers[login.email] = (user, company)
    # The listing services own their transactions, so the catalogue is seeded after the parties.
    assert moderator is not None
    report.listings = demo_listings_seed(sellers=sellers, moderator=moderator)
    demo_orders_seed()  # orders in every state, placed through the order services
    demo_rfqs_seed()  # a few open RFQs for the sellers' board
    return report


def _company_put(*, spec: DemoCompany, report: SeedReport) -> Company:
    company = Company.objects.filter(slug=spec.slug).first()
    if company is None:
        company = Company(slug=spec.slug)
        report.created["companies"] += 1
        changed = True
    else:
        changed = False
    for name, value in spec.field_values().items():
        if getattr(company, name) != value:
            setattr(company, name, value)
            changed = True
    wanted_status = VerificationStatus.VERIFIED if spec.verified else VerificationStatus.UNVERIFIED
    if company.verification_status != wanted_status:
        company.verification_status = wanted_status
        changed = True
    wanted_verified_at = company.verified_at if spec.verified else None
    if spec.verified and wanted_verified_at is None:
        wanted_verified_at = timezone.now()
    if company.verified_at != wanted_verified_at:
        company.verified_at = wanted_verified_at
        changed = True
    if company.rejection_reason:
        company.rejection_reason = ""
        changed = True
    if changed:
        if company.pk is not None:
            report.updated["companies"] += 1
        company.save()
    return company


def _user_put(*, login: DemoLogin, report: SeedReport) -> User:
    user = User.objects.filter(email__iexact=login.email).first()
    if user is None:
        create = User.objects.create_superuser if login.is_superuser else User.objects.create_user
        report.created["users"] += 1
        return create(
            login.email,
            DEMO_PASSWORD,
            full_name=login.full_name,
            email_confirmed_at=timezone.now(),
        )
    changed = []
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        changed.append("email_confirmed_at")
    wanted = {
        "full_name": login.full_name,
        "is_active": True,
        "is_staff": login.is_superuser,
        "is_superuser": login.is_superuser,
    }
    for name, value in wanted.items():
        if getattr(user, name) != value:
            setattr(user, name, value)
            changed.append(name)
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
        report.updated["users"] += 1
    return user


def _owner_membership_put(*, user: User, company: Company, report: SeedReport) -> None:
    membership, created = Membership.objects.get_or_create(
        user=user, company=company, defaults={"role": MembershipRole.OWNER}
    )
    if created:
        report.created["memberships"] += 1
    elif membership.role != MembershipRole.OWNER:
        membership.role = MembershipRole.OWNER
        membership.save(update_fields=["role", "updated_at"])
        report.updated["memberships"] += 1


def _hs_codes_load(*, report: SeedReport) -> None:
    if HSCode.objects.count() > HS_CODES_LOADED_THRESHOLD:
        report.hs_codes_source = "already loaded"
    elif Path(settings.HS_CODES_CSV).is_file():
        report.hs_codes = hs_codes_import(path=settings.HS_CODES_CSV)
        report.hs_codes_source = str(settings.HS_CODES_CSV)
    else:
        report.hs_codes = hs_codes_seed_fallback()
        report.hs_codes_source = "built-in sample (HS_CODES_CSV not found)"
    report.hs_code_count = HSCode.objects.count()
