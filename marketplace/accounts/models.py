from pathlib import PurePosixPath

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries.fields import CountryField
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from marketplace.accounts.enums import DocumentKind, MembershipRole, VerificationStatus
from marketplace.core.models import BaseModel
from marketplace.core.storage import private_storage
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

    def get_by_natural_key(self, username: str | None) -> "User":
        # Emails are stored lower-cased; signing in must not depend on how the user types them.
        return self.get(email__iexact=username)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        # Made by an operator on the command line, not by a sign-up: nothing to confirm.
        extra.setdefault("email_confirmed_at", timezone.now())
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]  # knox: auth_token_set
    """A person who signs in by email and acts on behalf of one of their companies."""

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the user opens the confirmation link mailed at sign-up; until then they may not
    # order, list or message (marketplace.accounts.selectors.user_email_confirmed).
    email_confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

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
        permissions = [("verify_company", "Can verify or reject a company's verification")]
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


# Verification documents are at most 10 MB (enforced on upload and by the database).
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
DOCUMENT_CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/webp")


def company_document_upload_to(instance: "CompanyDocument", filename: str) -> str:
    """A per-company folder; the service passes a random file name, never the uploaded one."""
    return str(PurePosixPath("companies", str(instance.company_id), "documents", filename))


class CompanyDocument(BaseModel):
    """A file a company submits for verification (registration or tax certificate, ...)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    file = models.FileField(
        upload_to=company_document_upload_to, storage=private_storage, max_length=255
    )
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(help_text="Size in bytes.")
    uploaded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["company_id", "created_at", "id"]
        permissions = [
            ("view_verification_document", "Can download any company's verification documents")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gt=0, size__lte=DOCUMENT_MAX_BYTES),
                name="company_document_size_within_limit",
            ),
            models.CheckConstraint(
                condition=models.Q(content_type__in=DOCUMENT_CONTENT_TYPES),
                name="company_document_content_type_allowed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class CompanyVerificationEvent(models.Model):
    """One change of a company's verification status: who, from what, to what, and why."""

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="verification_events"
    )
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=VerificationStatus.choices)
    to_status = models.CharField(max_length=16, choices=VerificationStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set once the company has been told about the decision; makes the email task idempotent.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.company}: {self.from_status} → {self.to_status}"


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only a SHA-512 digest of the secret is stored.

    Knox's own model keys tokens by their digest; this one has a plain id, so its owner can
    list and revoke tokens by id without the digest ever leaving the database, and a name.
    """

    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"API token {self.pk} of user {self.user_id}"


class SecurityEventKind(models.TextChoices):
    LOGIN_SUCCEEDED = "login_succeeded", "Sign-in succeeded"
    LOGIN_FAILED = "login_failed", "Sign-in failed"
    LOCKED_OUT = "locked_out", "Locked out"
    LOGGED_OUT = "logged_out", "Signed out"
    OTP_FAILED = "otp_failed", "Second factor refused"
    OTP_DEVICE_ENROLLED = "otp_device_enrolled", "Second factor enrolled"
    TOKEN_ISSUED = "token_issued", "API token issued"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    PERMISSION_DENIED = "permission_denied", "Permission denied"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PAYOUT_ACCOUNT_CHANGED = "payout_account_changed", "Payout account changed"
    ADMIN_ACTION = "admin_action", "Admin action"


class SecurityEvent(models.Model):
    """One security-relevant happening, kept for staff with ``accounts.view_securityevent``.

    Append-only: written by ``security_event_record`` and never changed (the admin is
    read-only). ``user`` and ``company`` survive their deletion as ``email``/``details``.
    """

    kind = models.CharField(max_length=32, choices=SecurityEventKind.choices, db_index=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    email = models.CharField("email", max_length=254, blank=True, db_index=True)
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    object_ref = models.CharField("object", max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.email or '-'} {self.created_at:%Y-%m-%d %H:%M}"
