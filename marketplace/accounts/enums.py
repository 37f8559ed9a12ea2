from django.db import models


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Unverified"
    PENDING = "pending", "Pending review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


# A rejected company fixes its data and submits again; a verified one whose verified details
# change goes back to review (pending).
VERIFICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    VerificationStatus.UNVERIFIED: frozenset({VerificationStatus.PENDING}),
    VerificationStatus.PENDING: frozenset(
        {VerificationStatus.VERIFIED, VerificationStatus.REJECTED}
    ),
    VerificationStatus.REJECTED: frozenset({VerificationStatus.PENDING}),
    VerificationStatus.VERIFIED: frozenset({VerificationStatus.PENDING}),
}


class MembershipRole(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    STAFF = "staff", "Staff"


class DocumentKind(models.TextChoices):
    REGISTRATION_CERTIFICATE = "registration_certificate", "Registration certificate"
    TAX_CERTIFICATE = "tax_certificate", "Tax certificate"
    OTHER = "other", "Other"


# Roles that may change a company's profile and submit it for verification.
MANAGING_ROLES: frozenset[str] = frozenset({MembershipRole.OWNER, MembershipRole.ADMIN})
