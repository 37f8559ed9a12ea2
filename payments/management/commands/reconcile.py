"""``manage.py reconcile``: run the reconciliation now, print a summary.

Exit status 0 when everything matched, 1 when mismatches were found or part of the run could
not be checked (a gateway error), so a cron job or a deploy check can alert on it.
"""

import sys
from collections import Counter

from django.core.management.base import BaseCommand

from payments.enums import MismatchKind
from payments.reconciliation import reconcile


class Command(BaseCommand):
    help = "Compare the ledger with the gateway and the platform's rows; store the mismatches."

    def handle(self, *args, **options) -> None:
        run = reconcile()
        kinds = Counter(run.items.values_list("kind", flat=True))
        duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        self.stdout.write(
            f"Reconciliation run {run.pk}: {run.checked:,} checked, "
            f"{run.mismatches:,} mismatches in {duration:.1f} s."
        )
        for kind, count in sorted(kinds.items()):
            self.stdout.write(f"  {MismatchKind(kind).label} ({kind}): {count:,}")
        for item in run.items.order_by("id")[:20]:
            self.stdout.write(
                f"  - {item.kind} {item.reference}: expected {item.expected or '-'}, "
                f"found {item.actual or '-'}"
            )
        if run.mismatches > 20:
            self.stdout.write(f"  … and {run.mismatches - 20:,} more (see the admin).")
        if run.error:
            self.stderr.write("Not everything could be checked:\n" + run.error)
        if run.mismatches or run.error:
            sys.exit(1)
