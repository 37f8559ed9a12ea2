"""The title words of published listings in date order (TitleWord), kept by a trigger.

A search whose words must be in the title (a spelling correction: "backpak" → "backpack")
reads a word's newest listings from this table's primary key backwards instead of fetching
every listing with the word from the GIN index and sorting them. The trigger keeps the table
whatever writes a listing (services, admin, fixtures, bulk loads with triggers on); a listing's
words are removed by their primary key (the old title's lexemes, the old date), so the table
needs no second index. Lexemes are those of the search configuration ('english'), exactly the
title-weighted (A) lexemes of Listing.search_vector.
"""

import django.db.models.deletion
from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION listings_title_words_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'published' THEN
        IF TG_OP = 'DELETE' OR NEW.status IS DISTINCT FROM OLD.status
                OR NEW.title IS DISTINCT FROM OLD.title
                OR NEW.published_at IS DISTINCT FROM OLD.published_at THEN
            DELETE FROM listings_titleword AS w
            USING unnest(tsvector_to_array(to_tsvector('english', OLD.title))) AS gone(lexeme)
            WHERE w.lexeme = gone.lexeme AND w.published_at = OLD.published_at
                AND w.listing_id = OLD.id;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'published' THEN
        IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status
                OR OLD.title IS DISTINCT FROM NEW.title
                OR OLD.published_at IS DISTINCT FROM NEW.published_at THEN
            INSERT INTO listings_titleword (lexeme, published_at, listing_id)
            SELECT lexeme, NEW.published_at, NEW.id
            FROM unnest(tsvector_to_array(to_tsvector('english', NEW.title))) AS added(lexeme)
            ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER listing_title_words_sync
AFTER INSERT OR UPDATE OF status, title, published_at OR DELETE ON listings_listing
FOR EACH ROW EXECUTE FUNCTION listings_title_words_sync();
"""

FILL_SQL = """
INSERT INTO listings_titleword (lexeme, published_at, listing_id)
SELECT lexeme, listing.published_at, listing.id
FROM listings_listing AS listing,
    unnest(tsvector_to_array(to_tsvector('english', listing.title))) AS lexeme
WHERE listing.status = 'published'
ON CONFLICT DO NOTHING;
"""


class Migration(migrations.Migration):
    dependencies = [("listings", "0007_perf_words_gin_without_moq")]

    operations = [
        migrations.CreateModel(
            name="TitleWord",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "lexeme",
                        "published_at",
                        "listing_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("lexeme", models.TextField()),
                ("published_at", models.DateTimeField()),
                (
                    "listing",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="title_words",
                        to="listings.listing",
                    ),
                ),
            ],
        ),
        migrations.RunSQL(
            sql=TRIGGER_SQL,
            reverse_sql=(
                "DROP TRIGGER IF EXISTS listing_title_words_sync ON listings_listing; "
                "DROP FUNCTION IF EXISTS listings_title_words_sync();"
            ),
        ),
        migrations.RunSQL(sql=FILL_SQL, reverse_sql=migrations.RunSQL.noop),
    ]
