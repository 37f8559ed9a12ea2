from django.db import migrations, models
from django.db.models import F


def confirm_existing_users(apps, schema_editor):
    # Accounts made before confirmation existed keep trading: count them confirmed on joining.
    apps.get_model("accounts", "User").objects.filter(email_confirmed_at__isnull=True).update(
        email_confirmed_at=F("date_joined")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_company_documents_and_verification_events"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_confirmed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(confirm_existing_users, migrations.RunPython.noop),
    ]
