"""The words-and-facets GIN index of 0005 without the MOQ column.

A range on a btree_gin column (``moq <= 1000``) is a partial match: GIN unions the posting
lists of every MOQ below the bound — most of the catalogue — before intersecting them with the
word's. "led" + FOB + MOQ ≤ 1000 spent 132 ms in that union and 15 ms on the rows; without the
column the MOQ is tested on the ~5,000 rows the word and Incoterm leave (33 ms in all). Equality
facets (origin, category, Incoterm) stay in the index, where intersecting them is cheap.
"""

from django.db import migrations

OLD = "listing_published_words_facets_gin"
NEW = "listing_published_words_gin"


class Migration(migrations.Migration):
    dependencies = [("listings", "0006_perf_search_terms_and_indexes")]

    operations = [
        migrations.RunSQL(
            sql=[
                f"CREATE INDEX IF NOT EXISTS {NEW} ON listings_listing USING gin "
                "(search_vector, origin_country, category_id, incoterms) "
                "WHERE status = 'published'",
                f"DROP INDEX IF EXISTS {OLD}",
            ],
            reverse_sql=[
                f"CREATE INDEX IF NOT EXISTS {OLD} ON listings_listing USING gin "
                "(search_vector, origin_country, category_id, incoterms, moq) "
                "WHERE status = 'published'",
                f"DROP INDEX IF EXISTS {NEW}",
            ],
        ),
    ]
