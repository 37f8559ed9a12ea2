"""Staff groups may read conversations (support, moderators, finance beside disputes); support
and moderators hide messages and resolve reports; moderators read and cancel abusive RFQs and
read quotes, support reads both. Frozen as ``ADDED``; the live table is
``marketplace.accounts.staff.STAFF_GROUPS``."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

_MODERATE = (
    "orders.view_conversation",
    "orders.view_message",
    "orders.change_message",
    "orders.view_messageattachment",
    "orders.view_conversationreport",
    "orders.change_conversationreport",
)
_RFQS_READ = (
    "orders.view_rfq",
    "orders.view_rfqevent",
    "orders.view_rfqattachment",
    "orders.view_rfqinvitation",
)
_QUOTES_READ = ("orders.view_quote", "orders.view_quoteline", "orders.view_quoteevent")
ADDED = {
    "moderators": (*_MODERATE, *_RFQS_READ, "orders.change_rfq", *_QUOTES_READ),
    "finance": (
        "orders.view_conversation",
        "orders.view_message",
        "orders.view_messageattachment",
    ),
    "support": (*_MODERATE, *_RFQS_READ, *_QUOTES_READ),
}


def _permissions(apps, dotted_names):
    permission_model = apps.get_model("auth", "Permission")
    for dotted in dotted_names:
        app_label, codename = dotted.split(".", 1)
        yield permission_model.objects.get(content_type__app_label=app_label, codename=codename)


def staff_groups_extend(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    for name, dotted_names in ADDED.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, dotted_names))


def staff_groups_shrink(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name, dotted_names in ADDED.items():
        group = group_model.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*_permissions(apps, dotted_names))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_staff_groups"),
        ("orders", "0005_quotes_number_and_notified"),
    ]

    operations = [migrations.RunPython(staff_groups_extend, staff_groups_shrink)]
