from django.core.management.base import BaseCommand

from marketplace.demo.services import SeedReport, demo_seed


class Command(BaseCommand):
    help = (
        "Load the demo logins and companies, the HS 2022 codes, sample FX rates and the demo "
        "catalogue (listings with generated photos). "
        "Safe to run again: it creates nothing twice and resets the demo passwords."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = demo_seed()
        self.stdout.write(self._summary(report))
        self.stdout.write(self._logins_table(report))

    def _summary(self, report: SeedReport) -> str:
        kinds = ("users", "companies", "memberships")
        counts = ", ".join(
            f"{kind} {report.created[kind]} created / {report.updated[kind]} updated"
            for kind in kinds
        )
        hs = f"HS codes: {report.hs_code_count} in the table ({report.hs_codes_source})"
        if report.hs_codes is not None:
            hs += f"; {report.hs_codes.summary()}"
        fx = f"FX rates: {report.fx_rate_count} in the table"
        if report.fx_rates is not None:
            fx += f"; {report.fx_rates.summary()}"
        listings = "Listings: none"
        if report.listings is not None:
            made = ", ".join(
                f"{n} {status}" for status, n in sorted(report.listings.created.items())
            )
            listings = (
                f"Listings: {made or 'none'} created, {report.listings.unchanged} already there"
            )
        return f"Demo data: {counts}.\n{hs}.\n{fx}.\n{listings}.\n\n"

    def _logins_table(self, report: SeedReport) -> str:
        rows = [("Email", "Password", "Who")]
        for login in report.logins:
            who = login.description
            if login.company is not None:
                who = f"{who} — {login.company.legal_name}"
            rows.append((login.email, report.password, who))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}" for r in rows]
        lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 3}")
        return "\n".join(lines) + "\n"
