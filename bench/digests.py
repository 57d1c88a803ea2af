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

import os
import resource

from common import compare_setup, rolled_back


def main() -> None:
    args = compare_setup()
    root = args.code_root
    from django.conf import settings
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alerts import services
    from alerts.models import DigestSent

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    day = DigestSent.objects.order_by("-day").values_list("day", flat=True).first()
    print(f"code: {root}; day {day}; load average {os.getloadavg()}")
    for n in range(args.repeat):
        mail.outbox = []

        def digests():
            DigestSent.objects.filter(day=day).delete()
            with CaptureQueriesContext(connection) as queries:
                return services.send_digests(day=day), queries

        took, (sent, queries) = rolled_back(digests)
        print(
            f"digests {n + 1}: {took:.2f} s, {len(queries)} queries, {sent} sent, "
            f"{len(mail.outbox)} messages"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB; load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
