from django.core.management.base import BaseCommand, CommandError

from marketplace.core.exceptions import DomainError
from marketplace.trade.services import fx_rates_import


class Command(BaseCommand):
    help = (
        "Import (upsert on base, quote, as_of) FX rates from a CSV with the header "
        "base,quote,rate,as_of,source. Any bad row writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file")

    def handle(self, *args, path, **options):
        try:
            result = fx_rates_import(path=path)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"FX rates: {result.summary()}"))
