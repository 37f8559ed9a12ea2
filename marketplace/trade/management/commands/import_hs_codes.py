from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketplace.core.exceptions import DomainError
from marketplace.trade.services import hs_codes_import


class Command(BaseCommand):
    help = (
        "Import (upsert) the HS 2022 table from a CSV with the columns "
        "section,hscode,description,parent,level. A bad file writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            default=None,
            help="CSV file (default: settings.HS_CODES_CSV)",
        )

    def handle(self, *args, path=None, **options):
        path = path or settings.HS_CODES_CSV
        try:
            result = hs_codes_import(path=path)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"HS codes: {result.summary()}"))
