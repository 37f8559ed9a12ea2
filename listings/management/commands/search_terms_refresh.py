from django.core.management.base import BaseCommand

from listings.search import search_terms_refresh


class Command(BaseCommand):
    help = "Recount the words of published titles that search corrects typos against."

    def handle(self, *args, **options) -> None:
        words = search_terms_refresh()
        self.stdout.write(f"{words:,} words in published titles.")
