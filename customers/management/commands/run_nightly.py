import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from retention.nightly import NIGHTLY_JOBS


class Command(BaseCommand):
    help = "Run the nightly jobs now, in order, in this process (or queue them with --queue)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument(
            "--queue", action="store_true", help="Send to the Celery workers instead."
        )

    def handle(self, *args, **options):
        as_of = (options["as_of"] or timezone.localdate()).isoformat()
        for task in NIGHTLY_JOBS:
            if options["queue"]:
                result = task.delay(as_of=as_of)
                self.stdout.write(f"{task.name}: queued as {result.id}")
            else:
                summary = task.apply(kwargs={"as_of": as_of}).get()
                self.stdout.write(f"{task.name}: {summary}")
