"""What platform staff may do: Django permissions (through groups), and their second factor.

Staff powers follow permissions, never ``is_staff`` alone: ``staff_may(user, "app.codename")``
is true for an active staff user who holds the permission (directly, through a group, or as
a superuser). Groups and what they hold: ``STAFF_GROUPS`` (created by a data migration and
by ``manage.py staff_groups_sync``).

Staff sign in with a TOTP code (django-otp); ``OTP_EXEMPT_EMAILS`` (local demo only) names
the accounts that may skip it.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

# Group name -> permissions ("app_label.codename") its members hold.
STAFF_GROUPS: dict[str, tuple[str, ...]] = {
    "moderators": (
        "listings.view_listing",
        "listings.change_listing",
        "listings.moderate_listing",
        "listings.view_pendinglisting",
        "listings.change_pendinglisting",
        "listings.view_moderationevent",
        "listings.view_category",
        "accounts.view_company",
        "orders.view_conversation",
        "orders.view_message",
        "orders.change_message",
        "orders.view_messageattachment",
        "orders.view_conversationreport",
        "orders.change_conversationreport",
        "orders.view_rfq",
        "orders.view_rfqevent",
        "orders.view_rfqattachment",
        "orders.view_rfqinvitation",
        "orders.change_rfq",
        "orders.view_quote",
        "orders.view_quoteline",
        "orders.view_quoteevent",
    ),
    "verification": (
        "accounts.view_company",
        "accounts.change_company",
        "accounts.verify_company",
        "accounts.view_companydocument",
        "accounts.view_verification_document",
        "accounts.view_companyverificationevent",
        "accounts.view_membership",
        "accounts.view_user",
    ),
    "finance": (
        "accounts.view_company",
        "payments.view_payment",
        "payments.view_settlement",
        "payments.change_settlement",
        "payments.view_refund",
        "payments.view_bankpayout",
        "payments.change_bankpayout",
        "payments.export_bank_payouts",
        "payments.view_connectedaccount",
        "payments.view_gatewaydispute",
        "payments.view_disputecase",
        "payments.change_disputecase",
        "payments.resolve_dispute",
        "payments.view_reconciliationrun",
        "payments.view_reconciliationmismatch",
        "payments.view_stripeevent",
        "ledger.view_ledger",
        "ledger.view_ledgeraccount",
        "ledger.view_ledgertransaction",
        "ledger.view_ledgerentry",
        "orders.view_order",
        "orders.view_conversation",
        "orders.view_message",
        "orders.view_messageattachment",
    ),
    "support": (
        "accounts.view_company",
        "accounts.view_membership",
        "accounts.view_user",
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        "orders.view_shipment",
        "orders.view_dispute",
        "payments.view_disputecase",
        "documents.view_tradedocument",
        "orders.view_conversation",
        "orders.view_message",
        "orders.change_message",
        "orders.view_messageattachment",
        "orders.view_conversationreport",
        "orders.change_conversationreport",
        "orders.view_rfq",
        "orders.view_rfqevent",
        "orders.view_rfqattachment",
        "orders.view_rfqinvitation",
        "orders.view_quote",
        "orders.view_quoteline",
        "orders.view_quoteevent",
    ),
}


def staff_may(user: Any, permission: str) -> bool:
    """Whether ``user`` is active platform staff holding ``permission`` ("app.codename")."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(permission)
    )


def staff_otp_exempt(user: Any) -> bool:
    """Whether this account may sign in without a second factor (local demo only)."""
    exempt = {email.strip().lower() for email in getattr(settings, "OTP_EXEMPT_EMAILS", [])}
    email = (getattr(user, "email", "") or "").lower()
    return bool(exempt) and settings.DEBUG and email in exempt


def staff_otp_required(user: Any) -> bool:
    """Staff accounts need a second factor to sign in, unless exempt."""
    return bool(getattr(user, "is_staff", False)) and not staff_otp_exempt(user)


def staff_otp_has_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def staff_otp_match(user: Any, code: str) -> TOTPDevice | None:
    """The user's confirmed TOTP device that accepts ``code``, else None.

    Each code works once; after a wrong code a device refuses every code for a while,
    doubling with each failure (django-otp's throttling, OTP_TOTP_THROTTLE_FACTOR seconds).
    """
    code = (code or "").strip().replace(" ", "")
    if not code.isascii() or not code.isdigit():
        return None
    with transaction.atomic():
        devices = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        for device in devices.order_by("pk"):
            if device.verify_token(code):
                return device
    return None


def staff_groups_sync(*, apps: Any = None) -> None:
    """Create the staff groups and give each exactly the permissions in ``STAFF_GROUPS``.

    ``apps`` is a migration's app registry (from the data migration) or Django's.
    A permission that does not exist is an error: the table and the models must agree.
    """
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, wanted in STAFF_GROUPS.items():
        permissions = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            found = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is None:
                raise LookupError(f"Permission {dotted} (for group {name!r}) does not exist.")
            permissions.append(found)
        group, _created = group_model.objects.get_or_create(name=name)
        group.permissions.set(permissions)
