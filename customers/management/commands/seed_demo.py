import datetime as dt
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from customers import demo
from customers.scoring import runs


class Command(BaseCommand):
    help = (
        "Create the demo company: ~40 employees in 5 teams, ~1,500 customers and ~150k "
        "interactions over two years, where churn follows the warning signals. "
        "Deterministic for a seed. Scales to benchmark size with --customers/--interactions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1500)
        parser.add_argument("--interactions", type=int, default=150_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="Last day of the history (YYYY-MM-DD); today by default.",
        )
        parser.add_argument(
            "--chunk", type=int, default=50_000, help="Customers generated per batch."
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete existing customers and staff first."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (successfully) when the database already holds a company.",
        )
        parser.add_argument(
            "--no-logins",
            dest="quiet_logins",
            action="store_true",
            help="Do not print the demo logins (`manage.py demo_logins` prints them).",
        )

    def handle(self, *args, **options):
        from customers.models import Customer

        if options["customers"] < 10:
            raise CommandError("--customers must be at least 10.")
        if options["reset"]:
            try:
                demo.wipe()
            except demo.AuditTrailKept as refusal:
                raise CommandError(str(refusal)) from None
        elif options["if_empty"] and Customer.objects.exists():
            self.stdout.write("The database already holds a company; leaving it as it is.")
            if not options["quiet_logins"]:
                self._print_logins()
            return
        began = time.perf_counter()
        try:
            summary = demo.generate(
                customers=options["customers"],
                interactions=options["interactions"],
                seed=options["seed"],
                as_of=options["as_of"],
                chunk_customers=options["chunk"],
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - began
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company written in {elapsed:.1f}s: {summary.teams} teams, {summary.employees} employees, "
                f"{summary.customers:,} customers ({summary.churned:,} churned), {summary.contacts:,} contacts, "
                f"{summary.contracts:,} contracts, {summary.interactions:,} interactions, "
                f"{summary.ownership_periods:,} ownership periods, "
                f"{summary.exchange_rates:,} exchange rates."
            )
        )
        day = options["as_of"] or timezone.localdate()
        self.stdout.write(
            "  scoring the company once, so the demo's handovers know each customer's risk"
        )
        runs.score_all(day=day)
        plans = demo.open_handovers(as_of=day)
        self.stdout.write(f"  handover plans opened for the departing employees: {plans}")
        actions = demo.seed_retention_actions(as_of=day)
        self.stdout.write(f"  retention actions answering past warning signs: {actions:,}")
        if not options["quiet_logins"]:
            self._print_logins()

    def _print_logins(self):
        call_command("demo_logins", stdout=self.stdout._out)
