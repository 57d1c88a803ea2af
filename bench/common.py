"""What every benchmark prints: the machine, wall time and peak memory."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retention.settings")
    import django

    django.setup()


def compare_setup() -> argparse.Namespace:
    """Arguments and Django set-up of a benchmark that can run another checkout's code on
    the same database (`--code-root DIR`, an older version), `--repeat` times."""
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/retention_bench"
    )
    parser.add_argument("--code-root", default=str(ROOT))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    args.code_root = os.path.abspath(args.code_root)
    sys.path.insert(0, args.code_root)
    os.chdir(args.code_root)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retention.settings")
    import django

    django.setup()
    return args


class _Rollback(Exception):
    pass


def rolled_back(work):
    """Run `work()` in a transaction rolled back at the end, so the same state can be
    measured again: returns (seconds, what work returned)."""
    from django.db import transaction

    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = work()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, result


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB RAM, "
        f"Python {platform.python_version()}, PostgreSQL {server.split()[0]} on localhost"
    )


def peak_mib(children: bool = False) -> float:
    """Max resident set size of this process (or of its largest child process)."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def start_server(
    database_url: str, port: int, workers: int, env: dict | None = None, root: Path = ROOT
):
    """The app under gunicorn on the benchmark database (production settings, plain HTTP
    on localhost), once it answers /healthz/. `root`: the source tree to serve (another
    checkout, to compare two versions of the code on one database)."""
    import subprocess
    import time
    import urllib.request

    server_env = os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-only",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        **(env or {}),
    }
    # Production settings serve hashed static files from the collected manifest.
    subprocess.run(
        [str(root / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=root,
        env=server_env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(root / ".venv/bin/gunicorn"),
            "retention.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "600",
        ],
        cwd=root,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    return server


def server_peak_mib(pid: int) -> float:
    """Largest VmHWM among a server process and its workers."""
    peaks = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(proc.name) == pid or fields.get("PPid", "").strip() == str(pid):
            peaks.append(int(fields.get("VmHWM", "0 kB").split()[0]) / 1024)
    return max(peaks, default=0.0)


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user and system) a process has used so far; 0 when it is gone. Unlike
    wall time, it does not grow with the load of a shared machine."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_processes(pid: int) -> list[int]:
    """A server process and its workers."""
    found = [pid]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(proc.name))
    return found


def database_backends() -> list[int]:
    """The PostgreSQL server processes connected to this database (same machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


class CpuMeter:
    """CPU seconds used by some processes between start() and stop(): processes that
    appear in between count from their start."""

    def __init__(self, processes) -> None:
        self.processes = processes  # a function returning the pids to count

    def start(self) -> None:
        self.before = {pid: cpu_seconds(pid) for pid in self.processes()}

    def stop(self) -> float:
        return sum(cpu_seconds(pid) - self.before.get(pid, 0.0) for pid in self.processes())
