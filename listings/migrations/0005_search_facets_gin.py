"""One GIN index over the words and the facets of published listings (btree_gin).

A search for a word narrowed by origin, category, Incoterm or MOQ intersects their posting
lists inside the index, instead of visiting every row that has the word to test the facets:
"necklace" + CN + MOQ ≤ 100 over 300,000 rows went from 89 ms (warm) to 7 ms. Raw SQL with no
model state, because Django's GinIndex cannot mix opclasses of btree_gin and tsvector here.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations

INDEX = "listing_published_words_facets_gin"


class Migration(migrations.Migration):
    dependencies = [("listings", "0004_pending_listing_proxy")]

    operations = [
        BtreeGinExtension(),
        migrations.RunSQL(
            sql=(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON listings_listing USING gin "
                "(search_vector, origin_country, category_id, incoterms, moq) "
                "WHERE status = 'published'"
            ),
            reverse_sql=f"DROP INDEX IF EXISTS {INDEX}",
        ),
    ]
