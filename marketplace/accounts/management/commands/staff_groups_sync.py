"""Create the staff groups (moderators, verification, finance, support) and reset each to
the permissions in ``marketplace.accounts.staff.STAFF_GROUPS``. Safe to run again."""

from django.core.management.base import BaseCommand

from marketplace.accounts.staff import STAFF_GROUPS, staff_groups_sync


class Command(BaseCommand):
    help = "Create or reset the staff groups and their permissions."

    def handle(self, *args, **options) -> None:
        staff_groups_sync()
        for name, permissions in STAFF_GROUPS.items():
            self.stdout.write(f"{name}: {len(permissions)} permissions")
