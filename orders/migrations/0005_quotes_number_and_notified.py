from django.db import migrations, models

from orders.quotes.models import QUOTE_NUMBER_SEQUENCE


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_rfqs_digest")]

    operations = [
        migrations.AddField(
            model_name="quoteevent",
            name="notified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunSQL(
            sql=f"CREATE SEQUENCE IF NOT EXISTS {QUOTE_NUMBER_SEQUENCE} START 1",
            reverse_sql=f"DROP SEQUENCE IF EXISTS {QUOTE_NUMBER_SEQUENCE}",
        ),
    ]
