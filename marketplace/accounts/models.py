from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.core.models import BaseModel
from marketplace.trade.currencies import CURRENCY_CHOICES


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in by email and acts on behalf of one of their companies."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Company(BaseModel):
    """A legal entity that sells (exports), buys (imports), or both."""

    legal_name = models.CharField(max_length=200)
    trading_name = models.CharField(max_length=200, blank=True)
    slug = models.SlugField(max_length=220, unique=True)
    country = CountryField()
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField("state / province", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    registration_number = models.CharField(max_length=64, blank=True)
    vat_number = models.CharField("VAT / tax id", max_length=64, blank=True)
    eori_number = models.CharField("EORI number", max_length=17, blank=True)
    sells = models.BooleanField(default=False)
    buys = models.BooleanField(default=False)
    default_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="USD")
    verification_status = models.CharField(
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        db_index=True,
    )
    rejection_reason = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    members = models.ManyToManyField(User, through="Membership", related_name="companies")

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sells=True) | models.Q(buys=True),
                name="company_sells_or_buys",
            ),
            models.CheckConstraint(
                condition=~models.Q(verification_status=VerificationStatus.REJECTED)
                | ~models.Q(rejection_reason=""),
                name="company_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.trading_name or self.legal_name

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED


class Membership(BaseModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        max_length=8, choices=MembershipRole.choices, default=MembershipRole.STAFF
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "company"], name="membership_user_company_unique"
            )
        ]
        ordering = ["company__legal_name"]

    def __str__(self) -> str:
        return f"{self.user} — {self.company} ({self.role})"
