"""Factories for the parties every domain needs: users, companies and memberships.

``CompanyFactory(seller=True)`` sells only, ``CompanyFactory(buyer=True)`` buys only (the
default both sells and buys); ``CompanyFactory(verified=True)`` is a verified company.
``MembershipFactory`` joins a user to a company (owner by default).
"""

import factory
from django.utils import timezone

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, Membership, User

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    is_active = True
    # Confirmed, as every account that trades is; ``email_confirmed_at=None`` for a new one.
    email_confirmed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    legal_name = factory.Sequence(lambda n: f"Company {n} Ltd")
    trading_name = ""
    slug = factory.Sequence(lambda n: f"company-{n}")
    country = "DE"
    address_line1 = factory.Sequence(lambda n: f"Hafenstraße {n}")
    city = "Hamburg"
    postal_code = "20457"
    registration_number = factory.Sequence(lambda n: f"HRB {100000 + n}")
    vat_number = ""
    eori_number = ""
    sells = True
    buys = True
    default_currency = "EUR"
    verification_status = VerificationStatus.UNVERIFIED

    class Params:
        seller = factory.Trait(sells=True, buys=False)
        buyer = factory.Trait(sells=False, buys=True)
        verified = factory.Trait(
            verification_status=VerificationStatus.VERIFIED,
            verified_at=factory.LazyFunction(timezone.now),
        )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = MembershipRole.OWNER


def api_token_for(user: User, *, name: str = "test") -> str:
    """A new API token (django-rest-knox) for ``user``; returns the secret to send."""
    from marketplace.accounts.models import ApiToken

    _token, secret = ApiToken.objects.create(user=user, name=name)
    return secret


def staff_user(*groups: str, permissions: tuple[str, ...] = (), **fields) -> User:
    """An active staff user in the named staff groups (see ``STAFF_GROUPS``), with any extra
    ``app_label.codename`` permissions. The groups are (re)made first, so this works after a
    transactional test's flush too."""
    from django.contrib.auth.models import Group, Permission

    from marketplace.accounts.staff import staff_groups_sync

    staff_groups_sync()
    user = UserFactory(is_staff=True, **fields)
    user.groups.set(Group.objects.filter(name__in=groups))
    for dotted in permissions:
        app_label, codename = dotted.split(".", 1)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)  # a fresh instance: no stale permission cache


def otp_device_for(user: User):
    """A confirmed TOTP device for ``user`` (django-otp)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)


def otp_code(device) -> str:
    """The TOTP code ``device`` accepts now, computed as an authenticator app does."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def admin_login(client, user: User) -> None:
    """Sign ``user`` in to the test client with a session verified by a second factor, as
    the admin login does after a valid TOTP code."""
    from django_otp import DEVICE_ID_SESSION_KEY

    device = otp_device_for(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


# The fields of the company profile (what company_update takes and the profile form posts).
COMPANY_PROFILE_FIELDS = (
    "legal_name",
    "trading_name",
    "country",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "registration_number",
    "vat_number",
    "eori_number",
    "sells",
    "buys",
    "default_currency",
)


def company_profile(company: Company, **overrides) -> dict:
    """The company's profile as ``company_update`` keyword arguments, with ``overrides``."""
    data = {name: getattr(company, name) for name in COMPANY_PROFILE_FIELDS}
    data["country"] = company.country.code
    return {**data, **overrides}
