"""Move DRF's plain API tokens (rest_framework.authtoken, now removed) to hashed knox tokens.

Also drops ``knox_authtoken``: knox's own migrations create it even though the project's
token model is ``accounts.ApiToken`` (KNOX_TOKEN_MODEL); left there, unused, its foreign key
to the users would only get in the way (a flush cannot truncate the users past it).

Each old key keeps working as it is (knox looks a token up by its first 15 characters and
compares the SHA-512 digest), with the normal expiry from today; then the plain-text table,
its migration records and its content types are dropped, so no token is left in clear.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS


def knox_table_drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS knox_authtoken")


def plain_tokens_to_hashed(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    api_token = apps.get_model("accounts", "ApiToken")
    expiry = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token ORDER BY created, key")
        rows = cursor.fetchall()
    api_token.objects.bulk_create(
        api_token(
            digest=hash_token(key),
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            expiry=expiry,
            name="Token from before hashed tokens",
        )
        for key, user_id in rows
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE authtoken_token CASCADE")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_api_tokens_security_events_staff_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunPython(knox_table_drop, migrations.RunPython.noop),
        migrations.RunPython(plain_tokens_to_hashed, migrations.RunPython.noop),
    ]
