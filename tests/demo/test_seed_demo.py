import csv
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.core.management import call_command
from django.test import RequestFactory

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, Membership, User
from marketplace.demo.services import DEMO_PASSWORD, FX_RATES_SAMPLE_CSV, demo_seed
from marketplace.trade.models import FxRate, HSCode
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

DEMO_EMAILS = {
    "admin@demo.test",
    "seller@demo.test",
    "seller2@demo.test",
    "seller3@demo.test",
    "buyer@demo.test",
    "buyer2@demo.test",
}


def authenticate(*, username: str, password: str):
    """Sign in as the sign-in page does: django-axes watches every sign-in and needs its request."""
    request = RequestFactory().post("/accounts/login/")
    return django_authenticate(request, username=username, password=password)


@pytest.fixture
def without_hs_csv(settings, tmp_path):
    """Most tests seed from the small built-in HS sample: the full table takes seconds."""
    settings.HS_CODES_CSV = str(tmp_path / "no-such-file.csv")


def _state() -> dict[str, object]:
    """Everything the seed writes, with primary keys and password hashes."""
    return {
        "users": sorted(User.objects.values_list("pk", "email", "password", "is_superuser")),
        "companies": sorted(Company.objects.values_list("pk", "slug", "updated_at")),
        "memberships": sorted(Membership.objects.values_list("pk", "user_id", "company_id")),
        "hs_codes": HSCode.objects.count(),
        "fx_rates": FxRate.objects.count(),
    }


def test_seed_demo_creates_exactly_the_demo_logins_companies_and_owners(without_hs_csv):
    report = demo_seed()

    assert report.created == Counter(users=6, companies=5, memberships=5)
    assert report.updated == Counter()
    assert set(User.objects.values_list("email", "is_active", "is_staff", "is_superuser")) == {
        ("admin@demo.test", True, True, True),
        ("seller@demo.test", True, False, False),
        ("seller2@demo.test", True, False, False),
        ("seller3@demo.test", True, False, False),
        ("buyer@demo.test", True, False, False),
        ("buyer2@demo.test", True, False, False),
    }
    companies = {
        (
            c.legal_name,
            str(c.country),
            c.city,
            c.default_currency,
            c.verification_status,
            c.verified_at is not None,
            c.sells,
            c.buys,
            c.eori_number,
        )
        for c in Company.objects.all()
    }
    assert companies == {
        (
            "Hangzhou Westlake Trading Co., Ltd.",
            "CN",
            "Hangzhou",
            "USD",
            VerificationStatus.VERIFIED,
            True,
            True,
            False,
            "",
        ),
        (
            "Naniwa Precision Tools Co., Ltd.",
            "JP",
            "Osaka",
            "JPY",
            VerificationStatus.VERIFIED,
            True,
            True,
            False,
            "",
        ),
        (
            "Schwarzwald Feinmechanik GmbH",
            "DE",
            "Freiburg im Breisgau",
            "EUR",
            VerificationStatus.UNVERIFIED,
            False,
            True,
            False,
            "DE4721935",
        ),
        (
            "Rheinland Import GmbH",
            "DE",
            "Köln",
            "EUR",
            VerificationStatus.UNVERIFIED,
            False,
            False,
            True,
            "DE8352716",
        ),
        (
            "Nairobi Hardware Supplies Ltd",
            "KE",
            "Nairobi",
            "KES",
            VerificationStatus.UNVERIFIED,
            False,
            False,
            True,
            "",
        ),
    }
    assert set(Membership.objects.values_list("user__email", "company__legal_name", "role")) == {
        ("seller@demo.test", "Hangzhou Westlake Trading Co., Ltd.", MembershipRole.OWNER),
        ("seller2@demo.test", "Naniwa Precision Tools Co., Ltd.", MembershipRole.OWNER),
        ("seller3@demo.test", "Schwarzwald Feinmechanik GmbH", MembershipRole.OWNER),
        ("buyer@demo.test", "Rheinland Import GmbH", MembershipRole.OWNER),
        ("buyer2@demo.test", "Nairobi Hardware Supplies Ltd", MembershipRole.OWNER),
    }


def test_the_hangzhou_seller_carries_a_unified_social_credit_code(without_hs_csv):
    demo_seed()

    company = Company.objects.get(memberships__user__email="seller@demo.test")
    assert (company.registration_number, company.vat_number, company.region) == (
        "91330106MA2GL8Q4XK",
        "91330106MA2GL8Q4XK",
        "Zhejiang",
    )
    assert Company.objects.get(country="DE", buys=True).vat_number == "DE814639251"


def test_every_demo_login_authenticates_with_the_demo_password(without_hs_csv):
    demo_seed()

    for email in sorted(DEMO_EMAILS):
        user = authenticate(username=email, password=DEMO_PASSWORD)
        assert user is not None, email
        assert user.email == email
        assert user.email_confirmed_at is not None, email
        assert authenticate(username=email, password="not-the-demo-password") is None
    assert DEMO_PASSWORD == "marketplace-demo"


def test_seed_demo_twice_creates_nothing_new_and_keeps_the_passwords(without_hs_csv):
    demo_seed()
    before = _state()

    report = demo_seed()

    assert report.created == Counter()
    assert report.updated == Counter()
    assert _state() == before
    for email in DEMO_EMAILS:
        assert authenticate(username=email, password=DEMO_PASSWORD) is not None


def test_seed_demo_puts_changed_demo_rows_back_and_leaves_other_users_alone(without_hs_csv):
    UserFactory(email="someone@example.com")
    other = User.objects.get(email="someone@example.com")
    other_hash = other.password
    demo_seed()
    seller = User.objects.get(email="seller@demo.test")
    seller.set_password("changed-by-the-tester")
    seller.save(update_fields=["password"])
    User.objects.filter(email="admin@demo.test").update(is_superuser=False)
    Company.objects.filter(legal_name="Hangzhou Westlake Trading Co., Ltd.").update(
        verification_status=VerificationStatus.UNVERIFIED, verified_at=None
    )
    Membership.objects.filter(user__email="buyer@demo.test").update(role=MembershipRole.STAFF)
    counts = (User.objects.count(), Company.objects.count(), Membership.objects.count())

    report = demo_seed()

    assert report.created == Counter()
    assert report.updated == Counter(users=2, companies=1, memberships=1)
    assert (User.objects.count(), Company.objects.count(), Membership.objects.count()) == counts
    assert authenticate(username="seller@demo.test", password=DEMO_PASSWORD) is not None
    assert User.objects.get(email="admin@demo.test").is_superuser is True
    hangzhou = Company.objects.get(legal_name="Hangzhou Westlake Trading Co., Ltd.")
    assert hangzhou.verification_status == VerificationStatus.VERIFIED
    assert hangzhou.verified_at is not None
    assert Membership.objects.get(user__email="buyer@demo.test").role == MembershipRole.OWNER
    assert User.objects.get(pk=other.pk).password == other_hash
    assert authenticate(username="someone@example.com", password=DEFAULT_PASSWORD) == other


def test_seed_demo_imports_the_hs_table_from_hs_codes_csv_and_skips_it_once_loaded():
    report = demo_seed()

    assert report.hs_codes_source == settings.HS_CODES_CSV
    assert HSCode.objects.count() == 6936
    assert dict(Counter(HSCode.objects.values_list("level", flat=True))) == {
        2: 96,
        4: 1228,
        6: 5612,
    }

    again = demo_seed()

    assert again.hs_codes_source == "already loaded"
    assert again.hs_codes is None
    assert again.hs_code_count == 6936


def test_seed_demo_falls_back_to_the_built_in_hs_sample_without_the_csv(without_hs_csv):
    report = demo_seed()

    assert report.hs_codes_source == "built-in sample (HS_CODES_CSV not found)"
    assert report.hs_codes is not None
    assert HSCode.objects.count() == report.hs_codes.created == report.hs_code_count
    assert report.hs_code_count > 0


def test_seed_demo_loads_the_sample_fx_rates(without_hs_csv):
    with open(FX_RATES_SAMPLE_CSV, encoding="utf-8-sig") as f:
        pairs = {(row["base"], row["quote"], row["as_of"]) for row in csv.DictReader(f)}

    report = demo_seed()

    assert report.fx_rate_count == len(pairs)
    stored = FxRate.objects.values_list("base", "quote", "as_of")
    assert {(base, quote, as_of.isoformat()) for base, quote, as_of in stored} == pairs


def test_seed_demo_command_prints_the_counts_and_the_logins_table(without_hs_csv):
    out = StringIO()

    call_command("seed_demo", stdout=out)

    text = out.getvalue()
    assert (
        "Demo data: users 6 created / 0 updated, companies 5 created / 0 updated, "
        "memberships 5 created / 0 updated." in text
    )
    table = [line.split() for line in text.splitlines() if "@demo.test" in line]
    assert [(row[0], row[1]) for row in table] == [
        ("admin@demo.test", "marketplace-demo"),
        ("seller@demo.test", "marketplace-demo"),
        ("seller2@demo.test", "marketplace-demo"),
        ("seller3@demo.test", "marketplace-demo"),
        ("buyer@demo.test", "marketplace-demo"),
        ("buyer2@demo.test", "marketplace-demo"),
    ]
