from django.db import migrations

from orders.numbering import ORDER_NUMBER_SEQUENCE


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE SEQUENCE IF NOT EXISTS {ORDER_NUMBER_SEQUENCE} START 1",
            reverse_sql=f"DROP SEQUENCE IF EXISTS {ORDER_NUMBER_SEQUENCE}",
        )
    ]
