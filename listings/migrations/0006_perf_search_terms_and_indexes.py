"""Search at a million listings: the spelling vocabulary and per-category ordered indexes.

SearchTerm holds the distinct words of published titles (a few thousand rows, trigram GIN
index): spelling correction looks a misspelt word up there instead of testing the trigram
similarity of a million titles. A trigger adds a title's words when its listing is published
or retitled — whatever writes the row (services, admin, fixtures, bulk loads with triggers on)
— and listings.search.search_terms_refresh recounts them (daily beat task, management command).

The btree indexes let a search read the first 500 results of a category, or of the whole
catalogue, in the order asked (newest, cheapest, dearest) from an index, with the facet
columns INCLUDEd so that filters on origin, Incoterm, MOQ and price are tested in the index
(index-only scans) instead of on one heap page per listing. All are partial (published only).
Raw SQL, as in 0005: Django's Index cannot express the partial, INCLUDE and NULLS LAST mix.
"""

import django.contrib.postgres.indexes
from django.db import migrations, models

FACETS = "origin_country, incoterms, moq, seller_id"
PUBLISHED = "WHERE status = 'published'"
INDEXES = {
    "listing_pub_newest_idx": (
        f"(published_at DESC, id DESC) INCLUDE (category_id, price_min_usd, {FACETS})"
    ),
    "listing_pub_price_idx": (
        f"(price_min_usd ASC NULLS LAST, published_at DESC, id DESC) INCLUDE (category_id, {FACETS})"
    ),
    "listing_pub_price_desc_idx": (
        f"(price_min_usd DESC NULLS LAST, published_at DESC, id DESC) INCLUDE (category_id, {FACETS})"
    ),
    "listing_pub_cat_newest_idx": (
        f"(category_id, published_at DESC, id DESC) INCLUDE (price_min_usd, {FACETS})"
    ),
    "listing_pub_cat_price_idx": (
        f"(category_id, price_min_usd ASC NULLS LAST, published_at DESC, id DESC) INCLUDE ({FACETS})"
    ),
    "listing_pub_cat_price_desc_idx": (
        f"(category_id, price_min_usd DESC NULLS LAST, published_at DESC, id DESC) "
        f"INCLUDE ({FACETS})"
    ),
}

# Words of letters only, 3-40 of them, are worth correcting (not numbers, codes or "m8").
TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION listings_search_terms_add() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND (
        TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.title IS DISTINCT FROM NEW.title
    ) THEN
        -- ON CONFLICT DO NOTHING takes no lock on a known word: publishing never waits on it.
        INSERT INTO listings_searchterm (word, listings)
        SELECT word, 1 FROM unnest(tsvector_to_array(to_tsvector('simple', NEW.title))) AS word
        WHERE word ~ '^[[:alpha:]]{3,40}$'
        ORDER BY word
        ON CONFLICT (word) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER listing_search_terms_add
AFTER INSERT OR UPDATE OF status, title ON listings_listing
FOR EACH ROW EXECUTE FUNCTION listings_search_terms_add();
"""

FILL_SQL = """
INSERT INTO listings_searchterm (word, listings)
SELECT word, ndoc FROM ts_stat(
    'SELECT to_tsvector(''simple'', title) FROM listings_listing WHERE status = ''published'''
)
WHERE word ~ '^[[:alpha:]]{3,40}$'
ON CONFLICT (word) DO UPDATE SET listings = EXCLUDED.listings;
"""


class Migration(migrations.Migration):
    dependencies = [("listings", "0005_search_facets_gin")]

    operations = [
        migrations.CreateModel(
            name="SearchTerm",
            fields=[
                ("word", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("listings", models.PositiveIntegerField(default=0)),
            ],
            options={
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass("word", name="gin_trgm_ops"),
                        name="search_term_word_trgm",
                    )
                ],
            },
        ),
        migrations.RunSQL(
            sql=TRIGGER_SQL,
            reverse_sql=(
                "DROP TRIGGER IF EXISTS listing_search_terms_add ON listings_listing; "
                "DROP FUNCTION IF EXISTS listings_search_terms_add();"
            ),
        ),
        migrations.RunSQL(sql=FILL_SQL, reverse_sql=migrations.RunSQL.noop),
        *(
            migrations.RunSQL(
                sql=f"CREATE INDEX IF NOT EXISTS {name} ON listings_listing {columns} {PUBLISHED}",
                reverse_sql=f"DROP INDEX IF EXISTS {name}",
            )
            for name, columns in INDEXES.items()
        ),
    ]
