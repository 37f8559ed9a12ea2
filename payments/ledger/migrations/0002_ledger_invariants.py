"""The ledger's invariants, enforced by PostgreSQL itself.

- The entries of a transaction sum to zero per currency: a DEFERRABLE INITIALLY DEFERRED
  constraint trigger re-checks the affected transaction at commit (or at
  ``SET CONSTRAINTS ALL IMMEDIATE``), so the entries of one transaction can be inserted one
  by one; a transaction needs at least two entries, checked the same way.
- An entry's currency is its account's: a composite foreign key (account_id, currency)
  onto the unique (id, currency) of the accounts.
- Entries and transactions are append-only: UPDATE and DELETE raise (TRUNCATE, which only
  the test suite's flush uses, does not fire row triggers). Corrections are reversing
  transactions.
- An account's identity (code, currency, company) never changes once created.

Balance and shape violations raise SQLSTATE 23514 (check_violation), append-only violations
23000 (integrity_constraint_violation): Django raises ``IntegrityError`` for both.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE ledger_entry
    ADD CONSTRAINT ledger_entry_account_currency_fk
    FOREIGN KEY (account_id, currency) REFERENCES ledger_account (id, currency);

CREATE FUNCTION ledger_entry_transaction_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    transaction_ids bigint[];
    unbalanced record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        transaction_ids := ARRAY[NEW.transaction_id];
    ELSIF TG_OP = 'DELETE' THEN
        transaction_ids := ARRAY[OLD.transaction_id];
    ELSE
        transaction_ids := ARRAY[OLD.transaction_id, NEW.transaction_id];
    END IF;
    SELECT e.transaction_id, e.currency, SUM(e.amount_minor) AS total
      INTO unbalanced
      FROM ledger_entry e
     WHERE e.transaction_id = ANY (transaction_ids)
     GROUP BY e.transaction_id, e.currency
    HAVING SUM(e.amount_minor) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: its % entries sum to %, not 0',
            unbalanced.transaction_id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balanced';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_transaction_balanced();

CREATE FUNCTION ledger_transaction_has_entries() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    entry_count bigint;
BEGIN
    SELECT count(*) INTO entry_count FROM ledger_entry WHERE transaction_id = NEW.id;
    IF entry_count < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % entries; a transaction needs at least two',
            NEW.id, entry_count
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_has_entries';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ledger_transaction_has_entries
    AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_transaction_has_entries();

CREATE FUNCTION ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the ledger is append-only, post a reversing transaction',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER ledger_entry_append_only
    BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

CREATE TRIGGER ledger_transaction_append_only
    BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();

CREATE FUNCTION ledger_account_identity_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.code IS DISTINCT FROM OLD.code
       OR NEW.currency IS DISTINCT FROM OLD.currency
       OR NEW.company_id IS DISTINCT FROM OLD.company_id THEN
        RAISE EXCEPTION 'ledger account % cannot change its code, currency or company', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_account_identity_fixed
    BEFORE UPDATE ON ledger_account
    FOR EACH ROW EXECUTE FUNCTION ledger_account_identity_fixed();
"""

REVERSE = r"""
DROP TRIGGER ledger_account_identity_fixed ON ledger_account;
DROP FUNCTION ledger_account_identity_fixed();
DROP TRIGGER ledger_transaction_append_only ON ledger_transaction;
DROP TRIGGER ledger_entry_append_only ON ledger_entry;
DROP FUNCTION ledger_append_only();
DROP TRIGGER ledger_transaction_has_entries ON ledger_transaction;
DROP FUNCTION ledger_transaction_has_entries();
DROP TRIGGER ledger_entry_balanced ON ledger_entry;
DROP FUNCTION ledger_entry_transaction_balanced();
ALTER TABLE ledger_entry DROP CONSTRAINT ledger_entry_account_currency_fk;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [migrations.RunSQL(sql=FORWARD, reverse_sql=REVERSE)]
