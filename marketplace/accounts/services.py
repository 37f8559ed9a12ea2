"""Writes about users and companies: sign-up, profile changes, verification."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django_countries import countries
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.accounts.document_files import document_file_inspect
from marketplace.accounts.enums import (
    MANAGING_ROLES,
    VERIFICATION_TRANSITIONS,
    DocumentKind,
    MembershipRole,
    VerificationStatus,
)
from marketplace.accounts.eori import eori_number_clean
from marketplace.accounts.models import (
    ApiToken,
    Company,
    CompanyDocument,
    CompanyVerificationEvent,
    Membership,
    SecurityEventKind,
    User,
)
from marketplace.accounts.security import security_event_record
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import DomainError
from marketplace.core.transitions import lock, transition
from marketplace.trade.currencies import CURRENCIES

# What a verification checked: changing any of these sends a verified company back to review.
IDENTITY_FIELDS = (
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
)
_SLUG_MAX = 200


@dataclass(frozen=True)
class DocumentUpload:
    """One file submitted for verification; ``field`` names the form field errors belong to."""

    kind: str
    file: UploadedFile
    field: str = "documents"


# --- validation shared by the services --------------------------------------------------


def user_email_clean(*, email: str) -> str:
    """The email lower-cased, if well-formed and not yet taken (in any letter case)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("Enter a valid email address.", field="email") from None
    if User.objects.filter(email__iexact=email).exists():
        raise DomainError(
            "An account with this email address already exists.",
            field="email",
            code="duplicate_email",
        )
    return email


def _company_details_clean(
    *,
    legal_name: str,
    trading_name: str,
    country: str,
    address_line1: str,
    address_line2: str,
    city: str,
    region: str,
    postal_code: str,
    registration_number: str,
    vat_number: str,
    eori_number: str,
    sells: bool,
    buys: bool,
    default_currency: str,
) -> dict[str, object]:
    details: dict[str, object] = {
        "legal_name": (legal_name or "").strip(),
        "trading_name": (trading_name or "").strip(),
        "country": (country or "").strip().upper(),
        "address_line1": (address_line1 or "").strip(),
        "address_line2": (address_line2 or "").strip(),
        "city": (city or "").strip(),
        "region": (region or "").strip(),
        "postal_code": (postal_code or "").strip(),
        "registration_number": (registration_number or "").strip(),
        "vat_number": (vat_number or "").strip(),
        "sells": bool(sells),
        "buys": bool(buys),
        "default_currency": (default_currency or "").strip().upper(),
    }
    for field, label in (
        ("legal_name", "the company's legal name"),
        ("address_line1", "the street address"),
        ("city", "the city"),
    ):
        if not details[field]:
            raise DomainError(f"Enter {label}.", field=field, code="required")
    if details["country"] not in dict(countries):
        raise DomainError(
            f"“{country}” is not a country we know. Choose the country from the list.",
            field="country",
            code="unknown_country",
        )
    if not (details["sells"] or details["buys"]):
        raise DomainError(
            "Choose whether the company sells, buys, or both.", field="sells", code="no_role"
        )
    if details["default_currency"] not in CURRENCIES:
        raise DomainError(
            f"“{default_currency}” is not a currency the marketplace trades in.",
            field="default_currency",
            code="unknown_currency",
        )
    details["eori_number"] = eori_number_clean(
        country=str(details["country"]), eori_number=eori_number
    )
    return details


def _model_clean(instance: User | Company, *, exclude: Sequence[str] = ()) -> None:
    """Field limits (max lengths, choices) as a ``DomainError`` on the first bad field."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(
            messages[0], field=None if field == "__all__" else field, code="invalid"
        ) from None


def _company_slug_choose(*, name: str) -> str:
    base = slugify(name)[:_SLUG_MAX].strip("-") or "company"
    taken = set(Company.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _require_managing_member(*, company: Company, actor: User) -> None:
    if not Membership.objects.filter(company=company, user=actor, role__in=MANAGING_ROLES).exists():
        raise PermissionDenied("Only the company's owners and admins may do this.")


def _require_platform_staff(*, actor: User) -> None:
    if not staff_may(actor, "accounts.verify_company"):
        raise PermissionDenied("Only platform staff allowed to verify companies may do this.")


def _verification_event_recorder(*, actor: User | None, note: str):
    def record(company: Company, from_status: str, to_status: str) -> CompanyVerificationEvent:
        return CompanyVerificationEvent.objects.create(
            company=company, actor=actor, from_status=from_status, to_status=to_status, note=note
        )

    return record


# --- sign-up and profile ----------------------------------------------------------------


def company_register(
    *,
    email: str,
    password: str,
    full_name: str,
    legal_name: str,
    trading_name: str = "",
    country: str,
    address_line1: str,
    address_line2: str = "",
    city: str,
    region: str = "",
    postal_code: str = "",
    sells: bool,
    buys: bool,
    default_currency: str,
    registration_number: str = "",
    vat_number: str = "",
    eori_number: str = "",
) -> Membership:
    """Create a user, their company and the owner membership together, or nothing at all."""
    email = user_email_clean(email=email)
    full_name = (full_name or "").strip()
    if not full_name:
        raise DomainError("Enter your full name.", field="full_name", code="required")
    user = User(email=email, full_name=full_name)
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password", code="weak_password") from None
    details = _company_details_clean(
        legal_name=legal_name,
        trading_name=trading_name,
        country=country,
        address_line1=address_line1,
        address_line2=address_line2,
        city=city,
        region=region,
        postal_code=postal_code,
        registration_number=registration_number,
        vat_number=vat_number,
        eori_number=eori_number,
        sells=sells,
        buys=buys,
        default_currency=default_currency,
    )
    user.set_password(password)
    _model_clean(user, exclude=["password"])
    company = Company(**details)
    _model_clean(company, exclude=["slug"])

    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # Someone signed up with the same email between our check and this insert.
            raise DomainError(
                "An account with this email address already exists.",
                field="email",
                code="duplicate_email",
            ) from None
        for _attempt in range(5):
            company.slug = _company_slug_choose(name=company.display_name)
            try:
                with transaction.atomic():
                    company.save()
                break
            except IntegrityError:
                company.pk = None
        else:
            raise DomainError("Could not choose a unique address for the company; try again.")
        membership = Membership.objects.create(
            user=user, company=company, role=MembershipRole.OWNER
        )
        _email_confirmation_send_on_commit(user=user)
        return membership


def company_update(
    *,
    company: Company,
    actor: User,
    legal_name: str,
    trading_name: str = "",
    country: str,
    address_line1: str,
    address_line2: str = "",
    city: str,
    region: str = "",
    postal_code: str = "",
    registration_number: str = "",
    vat_number: str = "",
    eori_number: str = "",
    sells: bool,
    buys: bool,
    default_currency: str,
) -> Company:
    """Change a company's profile. A verified company whose identity (``IDENTITY_FIELDS``:
    names, country, address, registration, VAT or EORI number) changes goes back to review
    (verified → pending, with an event row): its verified badge and the "verified sellers"
    search facet drop it until staff verify it again. Other edits keep it verified."""
    details = _company_details_clean(
        legal_name=legal_name,
        trading_name=trading_name,
        country=country,
        address_line1=address_line1,
        address_line2=address_line2,
        city=city,
        region=region,
        postal_code=postal_code,
        registration_number=registration_number,
        vat_number=vat_number,
        eori_number=eori_number,
        sells=sells,
        buys=buys,
        default_currency=default_currency,
    )
    with transaction.atomic(durable=True):
        _require_managing_member(company=company, actor=actor)
        locked = lock(Company, company.pk)
        changed_identity = [
            str(getattr(Company._meta.get_field(f), "verbose_name", f))
            for f in IDENTITY_FIELDS
            if str(getattr(locked, f)) != str(details[f])
        ]
        for name, value in details.items():
            setattr(locked, name, value)
        _model_clean(locked)
        locked.save(update_fields=[*details.keys(), "updated_at"])
        if changed_identity and locked.verification_status == VerificationStatus.VERIFIED:
            locked = transition(
                instance=locked,
                target=VerificationStatus.PENDING,
                allowed=VERIFICATION_TRANSITIONS,
                field="verification_status",
                extra_fields={"verified_at": None},
                record_event=_verification_event_recorder(
                    actor=actor, note=f"Changed after verification: {', '.join(changed_identity)}."
                ),
            )
    return locked


# --- verification -----------------------------------------------------------------------


def company_verification_submit(
    *, company: Company, actor: User, documents: Sequence[DocumentUpload]
) -> Company:
    """Send the company for review (unverified or rejected → pending) with its documents."""
    inspected = []
    for upload in documents:
        if upload.kind not in DocumentKind.values:
            raise DomainError(
                f"“{upload.kind}” is not a kind of document.", field=upload.field, code="invalid"
            )
        inspected.append((upload, document_file_inspect(file=upload.file, field=upload.field)))

    stored: list[CompanyDocument] = []
    try:
        with transaction.atomic(durable=True):
            _require_managing_member(company=company, actor=actor)
            if not inspected and not CompanyDocument.objects.filter(company=company).exists():
                raise DomainError(
                    "Upload at least one document, such as the registration certificate.",
                    field="documents",
                    code="documents_required",
                )
            count = len(inspected)
            locked = transition(
                instance=company,
                target=VerificationStatus.PENDING,
                allowed=VERIFICATION_TRANSITIONS,
                field="verification_status",
                extra_fields={"rejection_reason": ""},
                record_event=_verification_event_recorder(
                    actor=actor,
                    note=f"Submitted for review with {count} new document{'s' * (count != 1)}.",
                ),
            )
            for upload, file_type in inspected:
                document = CompanyDocument(
                    company=locked,
                    kind=upload.kind,
                    original_name=PurePath(upload.file.name or "").name[:255],
                    content_type=file_type.content_type,
                    size=upload.file.size or 0,
                    uploaded_by=actor,
                )
                document.file.save(
                    f"{uuid.uuid4().hex}{file_type.extension}", upload.file, save=False
                )
                stored.append(document)
                document.save()
    except BaseException:
        for document in stored:  # the rows are rolled back; their files must go too
            document.file.delete(save=False)
        raise
    return locked


def company_verify(*, company: Company, actor: User) -> Company:
    """Accept a pending company as verified and tell its managers."""
    _require_platform_staff(actor=actor)
    with transaction.atomic(durable=True):
        locked = transition(
            instance=company,
            target=VerificationStatus.VERIFIED,
            allowed=VERIFICATION_TRANSITIONS,
            field="verification_status",
            extra_fields={"verified_at": timezone.now(), "rejection_reason": ""},
            record_event=_verification_event_recorder(actor=actor, note=""),
        )
        _verification_result_notify_on_commit(company=locked)
    return locked


def company_reject(*, company: Company, actor: User, reason: str) -> Company:
    """Refuse a pending company's verification with a reason the company will read."""
    _require_platform_staff(actor=actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Give a reason for the rejection; the company will see it.",
            field="reason",
            code="reason_required",
        )
    with transaction.atomic(durable=True):
        locked = transition(
            instance=company,
            target=VerificationStatus.REJECTED,
            allowed=VERIFICATION_TRANSITIONS,
            field="verification_status",
            extra_fields={"rejection_reason": reason, "verified_at": None},
            record_event=_verification_event_recorder(actor=actor, note=reason),
        )
        _verification_result_notify_on_commit(company=locked)
    return locked


def _verification_result_notify_on_commit(*, company: Company) -> None:
    from marketplace.accounts.tasks import company_verification_result_notify_task

    event = company.verification_events.order_by("-id").first()
    assert event is not None
    transaction.on_commit(partial(company_verification_result_notify_task.delay, event_id=event.pk))


# --- emails -----------------------------------------------------------------------------


def company_verification_result_notify(*, event_id: int) -> bool:
    """Email the company's owners and admins the outcome of a review, once per event."""
    with transaction.atomic(durable=True):
        event = (
            CompanyVerificationEvent.objects.select_for_update()
            .select_related("company")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.notified_at is not None:
            return False
        if event.to_status not in (VerificationStatus.VERIFIED, VerificationStatus.REJECTED):
            return False
        recipients = list(
            Membership.objects.filter(
                company=event.company, role__in=MANAGING_ROLES, user__is_active=True
            )
            .order_by("user__email")
            .values_list("user__email", flat=True)
        )
        if recipients:
            template = f"emails/accounts/company_{event.to_status}"
            context = {
                "company": event.company,
                "reason": event.note,
                "platform_name": settings.PLATFORM_NAME,
                "site_url": settings.SITE_URL.rstrip("/"),
            }
            subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
            body = render_to_string(f"{template}.txt", context)
            send_mail(subject, body, None, recipients)
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
    return True


def password_reset_email_send(*, user_id: int, domain: str, protocol: str) -> bool:
    """Email a password-reset link; the token is made here, so it never crosses the broker."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return False
    context = {
        "email": user.email,
        "user": user,
        "domain": domain,
        "site_name": settings.PLATFORM_NAME,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "protocol": "https" if protocol == "https" else "http",
    }
    subject = render_to_string("emails/accounts/password_reset_subject.txt", context)
    body = render_to_string("emails/accounts/password_reset.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
    return True


# --- email confirmation -----------------------------------------------------------------

_EMAIL_CONFIRMATION_SALT = "marketplace.accounts.email-confirmation"
EMAIL_CONFIRMATION_INVALID = "This confirmation link is not valid. Sign in and ask for a new one."
EMAIL_CONFIRMATION_EXPIRED = "This confirmation link has expired. Sign in and ask for a new one."


def _email_confirmation_token(user: User) -> str:
    # Signed with the email, so a link stops working if the address changes.
    return signing.dumps({"u": user.pk, "e": user.email}, salt=_EMAIL_CONFIRMATION_SALT)


def _email_confirmation_send_on_commit(*, user: User) -> None:
    from marketplace.accounts.tasks import user_email_confirmation_send_task

    send = partial(user_email_confirmation_send_task.delay, user_id=user.pk)
    send.__qualname__ = "user_email_confirmation_send_task.delay"  # type: ignore[attr-defined]
    # robust: the broker down must not turn a committed sign-up into an error (logged).
    transaction.on_commit(send, robust=True)


def user_email_confirmation_send(*, user_id: int) -> bool:
    """Email the user a signed link (valid EMAIL_CONFIRMATION_HOURS) that confirms their
    address; made here, in the worker, so the token never crosses the broker."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email_confirmed_at is not None:
        return False
    path = reverse("accounts:email_confirm", kwargs={"token": _email_confirmation_token(user)})
    context = {
        "email": user.email,
        "site_name": settings.PLATFORM_NAME,
        "link": settings.SITE_URL.rstrip("/") + path,
        "valid_hours": settings.EMAIL_CONFIRMATION_HOURS,
    }
    subject = render_to_string("emails/accounts/email_confirmation_subject.txt", context)
    body = render_to_string("emails/accounts/email_confirmation.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
    return True


def user_email_confirmation_resend(*, user: User) -> bool:
    """Queue a new confirmation link; ``False`` (nothing sent) if the email is confirmed."""
    if user.email_confirmed_at is not None:
        return False
    _email_confirmation_send_on_commit(user=user)
    return True


def user_email_confirm(*, token: str) -> User:
    """Confirm the email that the signed ``token`` names; confirming twice changes nothing."""
    try:
        data = signing.loads(
            token,
            salt=_EMAIL_CONFIRMATION_SALT,
            max_age=settings.EMAIL_CONFIRMATION_HOURS * 3600,
        )
    except signing.SignatureExpired:
        raise DomainError(EMAIL_CONFIRMATION_EXPIRED, code="expired") from None
    except signing.BadSignature:
        raise DomainError(EMAIL_CONFIRMATION_INVALID, code="invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise DomainError(EMAIL_CONFIRMATION_INVALID, code="invalid")
    with transaction.atomic(durable=True):
        user = User.objects.select_for_update().filter(pk=data["u"], is_active=True).first()
        if user is None or user.email != data.get("e"):
            raise DomainError(EMAIL_CONFIRMATION_INVALID, code="invalid")
        if user.email_confirmed_at is None:
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email_confirmed_at"])
        return user


def user_sign_in_lockouts_clear(*, user: User) -> int:
    """Forget the failed sign-ins counted against the user's email (every client address), so
    that a lockout ends; the number of records removed."""
    from axes.utils import reset

    return reset(username=user.email)


# --- API tokens and passwords -------------------------------------------------------------

API_TOKEN_NAME_MAX = 100


def api_token_issue(*, user: User, name: str = "", request: Any = None) -> tuple[ApiToken, str]:
    """A new API token for ``user`` (django-rest-knox): returns the row and the secret.

    The secret is shown once; only its SHA-512 digest is stored. It expires after
    ``API_TOKEN_TTL_DAYS``. A user may hold several, told apart by ``name``.
    """
    name = " ".join((name or "").split())
    if len(name) > API_TOKEN_NAME_MAX:
        raise DomainError(
            f"Ensure this field has no more than {API_TOKEN_NAME_MAX} characters.",
            field="name",
            code="max_length",
        )
    with transaction.atomic(durable=True):
        token, secret = ApiToken.objects.create(user=user, name=name)
        security_event_record(
            kind=SecurityEventKind.TOKEN_ISSUED,
            request=request,
            user=user,
            object_ref=f"accounts.apitoken:{token.pk}",
            details={"name": name, "expires": token.expiry.isoformat() if token.expiry else None},
        )
    return token, secret


def api_token_revoke(*, token: ApiToken, actor: User, request: Any = None) -> None:
    """Revoke one of the actor's own tokens: it stops working at once."""
    if token.user_id != actor.pk:
        raise PermissionDenied("Only the owner of a token may revoke it.")
    with transaction.atomic(durable=True):
        deleted, _ = ApiToken.objects.filter(pk=token.pk, user=actor).delete()
        if deleted:
            security_event_record(
                kind=SecurityEventKind.TOKEN_REVOKED,
                request=request,
                user=actor,
                object_ref=f"accounts.apitoken:{token.pk}",
                details={"name": token.name, "reason": "revoked by owner"},
            )


def user_password_set(
    *, user: User, password: str | None, request: Any = None, via: str = "change"
) -> User:
    """Set (or, with ``None``, disable) the user's password, and revoke every API token
    they hold: whoever had the old password may have made tokens with it.

    ``via`` says which flow (``change``, ``reset``, ``admin``) for the security event.
    The password has been validated by the form that asked for it.
    """
    with transaction.atomic(durable=True):
        locked = User.objects.select_for_update().get(pk=user.pk)
        if password is None:
            locked.set_unusable_password()
        else:
            locked.set_password(password)
        locked.save(update_fields=["password"])
        revoked, _ = ApiToken.objects.filter(user=locked).delete()
        security_event_record(
            kind=SecurityEventKind.PASSWORD_CHANGED,
            request=request,
            user=locked,
            company=None,
            object_ref=f"accounts.user:{locked.pk}",
            details={"via": via, "tokens_revoked": revoked, "usable": password is not None},
        )
    # The caller's instance carries the new hash, so its session survives a change of its own.
    user.password = locked.password
    return user


def staff_otp_device_enrol(*, user: User, name: str = "Authenticator app") -> TOTPDevice:
    """A new confirmed TOTP device for a staff user (django-otp); returns it.

    Its ``config_url`` (otpauth://) goes into the authenticator app once, by QR code.
    Earlier devices keep working until deleted in the admin.
    """
    if not (user.is_active and user.is_staff):
        raise DomainError("Only active staff accounts enrol a second factor.", field="email")
    with transaction.atomic(durable=True):
        device = TOTPDevice.objects.create(user=user, name=name[:64], confirmed=True)
        security_event_record(
            kind=SecurityEventKind.OTP_DEVICE_ENROLLED,
            user=user,
            object_ref=f"otp_totp.totpdevice:{device.pk}",
            details={"name": device.name},
        )
    return device
