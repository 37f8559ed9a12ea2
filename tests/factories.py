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
