"""Benchmark: the nightly alert digests (alerts/digests.py send_digests), rolled back, so
the same state can be measured again (and by other code on a copy of the same database).

Usage:  .venv/bin/python bench/digests.py [--repeat 3] [--code-root DIR]
        [--database-url postgres://postgres@127.0.0.1:5432/retention_bench]

On a database that has run nights (open alerts routed to their people), for the latest
day with digests: that day's DigestSent rows are removed and every digest is written
and sent again, to Django's in-memory mail backend (no mail server: what is measured is
the reading, the wording and the recording), in one transaction rolled back at the end.
`--code-root` runs another checkout's code (an older version) on the same data. Prints
wall time and the number of queries of each repetition, the digests sent, peak memory
and the load average."""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--code-root", default=os.path.dirname(os.path.dirname(__file__)))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = os.path.abspath(args.code_root)
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retention.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from alerts import services
    from alerts.models import DigestSent

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    day = DigestSent.objects.order_by("-day").values_list("day", flat=True).first()
    print(f"code: {root}; day {day}; load average {os.getloadavg()}")
    for n in range(args.repeat):
        mail.outbox = []
        try:
            with transaction.atomic():
                DigestSent.objects.filter(day=day).delete()
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    sent = services.send_digests(day=day)
                    took = time.perf_counter() - started
                raise _Rollback
        except _Rollback:
            pass
        print(
            f"digests {n + 1}: {took:.2f} s, {len(queries)} queries, {sent} sent, "
            f"{len(mail.outbox)} messages"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB; load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
