"""The staff groups and their permissions: staff powers follow groups, not ``is_staff``.

The table is frozen here as it was when the groups were made; later changes go in
``marketplace.accounts.staff.STAFF_GROUPS`` and ``manage.py staff_groups_sync`` (and a new
migration). It lives in ``payments``, the top of the domain stack, because it grants
permissions of every domain.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "moderators": (
        "listings.view_listing",
        "listings.change_listing",
        "listings.moderate_listing",
        "listings.view_pendinglisting",
        "listings.change_pendinglisting",
        "listings.view_moderationevent",
        "listings.view_category",
        "accounts.view_company",
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
    ),
}


def staff_groups_create(apps, schema_editor):
    # Permissions are normally made after `migrate` ends; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, dotted_names in GROUPS.items():
        permissions = []
        for dotted in dotted_names:
            app_label, codename = dotted.split(".", 1)
            permissions.append(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def staff_groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0005_bank_payout_export_and_dispute_resolve_permissions"),
        ("accounts", "0005_api_tokens_security_events_staff_permissions"),
        ("listings", "0010_listing_moderate_permission"),
        ("documents", "0003_trade_document_view_any_permission"),
        ("ledger", "0004_ledger_view_permission"),
        ("orders", "0002_order_number_sequence"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(staff_groups_create, staff_groups_delete)]
