"""Benchmark of a 10,000-row roster import.

A generated 10,000-row ambassadors XLSX goes through the admin's synchronous path on the
same resource as every import (``campaigns.rosters``): the preview request (parse the
workbook once, stash the parsed sheet, dry run) and the confirm request (load the stash,
import in one transaction, audit). The lower bound, in the same run, is what any import
must at least do: read the workbook with openpyxl (read-only) and ``bulk_create`` the
rows. Target: ours within 3x the bound. (django-import-export's default row-by-row path
runs one SELECT and one INSERT per row: minutes for such a file, #921.)

Each figure is the best of ``BENCH_RUNS`` (default 3) runs on an emptied table; the row
counts of ours and of the bound are checked. The database is a throw-away SQLite file in
a temporary directory, unless ``BENCH_DATABASE_URL`` names one whose name contains
"bench" (its ambassadors are deleted). Run it with ``make bench-import`` or
``.venv/bin/python bench/bench_import.py [--rows N]``. Exits 0 whether or not the target
is met (a benchmark, not a test); a missed target is printed as MISS.
"""

import argparse
import io
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
TARGET = 3.0


def setup_django(workdir: str) -> None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url and "bench" not in url.rsplit("/", 1)[-1]:
        sys.exit("BENCH_DATABASE_URL must name a database whose name contains 'bench'.")
    os.environ["DATABASE_URL"] = url or f"sqlite:///{workdir}/bench.sqlite3"
    os.environ["VAR_DIR"] = workdir
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def best(label: str, run, reset) -> float:
    times = []
    for _ in range(RUNS):
        reset()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    print(
        f"  {label:<52} best {min(times):7.3f} s   (runs: "
        + ", ".join(f"{t:.3f}" for t in times)
        + ")"
    )
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-import-") as workdir:
        setup_django(workdir)
        import openpyxl
        from django.db import transaction

        from ambassadors.models import Ambassador
        from campaigns.models import School
        from campaigns.rosters.pipeline import import_scope_build
        from campaigns.rosters.service import roster_import_dataset
        from core.codes import new_code
        from core.spreadsheets.reading import read_sheet
        from core.spreadsheets.stash import sheet_to_dataset, stash_dumps, stash_loads
        from tests.spreadsheet_files import ambassador_rows, xlsx

        school, _ = School.objects.get_or_create(slug="bench-school", defaults={"name": "复旦大学"})
        data = xlsx(ambassador_rows(args.rows, school=school.name))
        print(
            f"{args.rows} ambassadors, XLSX of {len(data) / 1024:.0f} KiB, "
            f"database {os.environ['DATABASE_URL'].split(':')[0]}, best of {RUNS}"
        )

        def reset() -> None:
            Ambassador.objects.filter(school=school).delete()

        def lower_bound() -> None:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = workbook.active.iter_rows(values_only=True)
            next(rows)
            objs = [
                Ambassador(
                    school=school,
                    name=name,
                    student_id=str(student_id),
                    phone=str(phone),
                    role="lead" if role == "组长" else "intern",
                    hourly_rate=Decimal(rate),
                    stipend=Decimal(stipend),
                    email=email,
                    referral_code=new_code(),
                )
                for name, student_id, phone, _school, role, rate, stipend, email in rows
            ]
            workbook.close()
            with transaction.atomic():
                Ambassador.objects.bulk_create(objs, batch_size=1000)

        scope = import_scope_build(user=None, school=school)
        timings: dict[str, float] = {}

        def ours() -> None:
            # Request 1, the preview: parse once, stash, dry run.
            start = time.perf_counter()
            stash = stash_dumps(read_sheet(data, file_name="team.xlsx"))
            preview = roster_import_dataset(
                kind="ambassadors",
                dataset=sheet_to_dataset(stash_loads(stash)),
                file_name="team.xlsx",
                scope=scope,
                dry_run=True,
            )
            assert preview.ok and preview.new == args.rows, preview.problems[:3]
            middle = time.perf_counter()
            # Request 2, the confirm: the stashed sheet, imported and audited.
            report = roster_import_dataset(
                kind="ambassadors",
                dataset=sheet_to_dataset(stash_loads(stash)),
                file_name="team.xlsx",
                scope=scope,
                dry_run=False,
            )
            assert report.ok and report.new == args.rows, report.problems[:3]
            timings.setdefault("preview", []).append(middle - start)
            timings.setdefault("confirm", []).append(time.perf_counter() - middle)

        bound = best("lower bound: openpyxl read + bulk_create", lower_bound, reset)
        assert Ambassador.objects.filter(school=school).count() == args.rows
        total = best("ours: preview (parse, stash, dry run) + confirm", ours, reset)
        assert Ambassador.objects.filter(school=school).count() == args.rows
        print(
            f"    of which preview {min(timings['preview']):.3f} s, "
            f"confirm {min(timings['confirm']):.3f} s"
        )
        best(
            "re-import of the same file (all unchanged), preview + confirm",
            lambda: _unchanged(args.rows, data, scope),
            lambda: None,
        )
        ratio = total / bound
        verdict = "OK" if ratio <= TARGET else "MISS"
        print(f"ratio ours / lower bound = {ratio:.2f} (target <= {TARGET:.0f}x): {verdict}")
        reset()


def _unchanged(rows: int, data: bytes, scope) -> None:
    from campaigns.rosters.service import roster_import_dataset
    from core.spreadsheets.reading import read_sheet
    from core.spreadsheets.stash import sheet_to_dataset, stash_dumps, stash_loads

    stash = stash_dumps(read_sheet(data))
    for dry_run in (True, False):
        report = roster_import_dataset(
            kind="ambassadors",
            dataset=sheet_to_dataset(stash_loads(stash)),
            file_name="team.xlsx",
            scope=scope,
            dry_run=dry_run,
        )
        assert report.ok and report.unchanged == rows, report.counts


if __name__ == "__main__":
    main()
