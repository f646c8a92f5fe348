"""Soak test of the embedded stack (`make run`): bounded ordinary use, then a reckoning.

    python bench/soak_embedded.py [--minutes 20] [--keep]      # make soak

Starts the stack the way ``make run`` does, on a throw-away VAR_DIR: ``migrate``,
``seed_demo``, then ``bin/run-dev`` (runserver, one Celery worker, beat; SQLite and the
filesystem broker) on a free port of 127.0.0.1. For ``--minutes`` it then drives it from
127.0.0.1 only, through the real processes:

- voters sign in by phone (``POST /api/v1/auth/otp/``, the code read from the ``file`` SMS
  backend's folder, ``POST /api/v1/auth/verify/``) and vote through the REST API;
- operations staff (``demo-staff``) log in to the admin and request post-campaign reports
  (a Celery task each) and import ambassador rosters above ``IMPORT_ASYNC_ROW_THRESHOLD``
  rows (an import job in Celery each), through the admin's own forms;
- beat runs its periodic tasks (leaderboards every minute, fraud scans...).

Every process records the tasks it publishes and runs (``CELERY_TASK_LEDGER``,
``config/task_ledger.py``). At the end it waits for the work requested to finish, then
fails unless: run-dev, the web server, the worker and beat are alive (a restarted worker
counts as recovered), every report and import job requested is done, every task
published before the end ran to a final state (none lost), no request got a 5xx, and the
log of the stack (worker, beat and web in one) holds no traceback or JSONDecodeError.
It prints a summary paragraph with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import html.parser
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
IMPORT_ROWS = 300  # above the threshold set below: every import is a Celery job
IMPORT_THRESHOLD = 100
# Tasks still running or queued this long after the load stops are counted as lost.
DRAIN_SECONDS = 180
# How long a sign-in waits for the worker to write its code (the filesystem broker polls).
SMS_WAIT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Forms(html.parser.HTMLParser):
    """The fields of each <form> of a page: {action: {name: value}} (inputs and selects'
    selected options; enough for the admin's import confirm form)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self.current: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = self.forms.setdefault(a.get("action") or "", {})
        elif tag == "input" and self.current is not None and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.current[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.votes_accepted = 0
        self.voters = 0
        self.reports: list[int] = []
        self.imports = 0
        self.import_rows = 0
        self.errors: list[str] = []

    def count(self, what: str, response: requests.Response) -> None:
        with self.lock:
            self.statuses[f"{what} {response.status_code}"] += 1
            if response.status_code >= 500:
                self.errors.append(f"{what}: HTTP {response.status_code}")

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


class Soak:
    def __init__(self, minutes: float, var_dir: Path) -> None:
        self.minutes = minutes
        self.var = var_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sms = var_dir / "sms"
        self.ledger = var_dir / "task-ledger"
        self.log = var_dir / "run-dev.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "1",
            "VAR_DIR": str(var_dir),
            "PORT": str(self.port),
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(self.sms),
            "IMPORT_ASYNC_ROW_THRESHOLD": str(IMPORT_THRESHOLD),
            "CELERY_TASK_LEDGER": str(self.ledger),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_FS_BROKER_DIR", "MEDIA_ROOT"):
            self.env.pop(name, None)  # the embedded defaults, under VAR_DIR
        self.stats = Stats()
        self.stop_load = threading.Event()
        self.stack: subprocess.Popen | None = None

    # --- the stack ----------------------------------------------------------------------

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    def start(self) -> None:
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("seed_demo")
        with self.log.open("wb") as log:
            # A session of its own: run-dev stops its children on TERM, we stop run-dev.
            self.stack = subprocess.Popen(
                ["bin/run-dev"], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.stack.poll() is not None:
                sys.exit(f"soak: bin/run-dev exited at start-up; see {self.log}")
            try:
                if requests.get(f"{self.url}/admin/login/", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        sys.exit("soak: the web server did not answer within 90 s")

    def processes(self) -> dict[str, int]:
        """Live processes of run-dev's session by role (the worker's pool not counted)."""
        found: Counter[str] = Counter()
        sid = self.stack.pid
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getsid(int(entry.name)) != sid:
                    continue
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, ProcessLookupError):
                continue
            if stat.rsplit(")", 1)[1].split()[0] == "Z":
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != sid:
                continue  # runserver's serving child, the worker's pool
            for role in ("runserver", "worker", "beat"):
                if role in cmd:
                    found[role] += 1
        return dict(found)

    def stop(self) -> int:
        if self.stack is None or self.stack.poll() is not None:
            return self.stack.returncode if self.stack else 0
        self.stack.send_signal(signal.SIGTERM)
        try:
            return self.stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.stack.pid, signal.SIGKILL)
            return self.stack.wait()

    # --- the load -----------------------------------------------------------------------

    def sign_in(self, session: requests.Session, phone: str) -> str | None:
        r = session.post(f"{self.url}/api/v1/auth/otp/", json={"phone": phone}, timeout=30)
        self.stats.count("otp", r)
        if r.status_code != 202:
            return None
        # A worker sends the code after the request (voting.tasks.otp_sms_send): wait for
        # its file, as a student waits for the text message.
        digits = phone.lstrip("+")
        deadline = time.monotonic() + SMS_WAIT_SECONDS
        files = sorted(self.sms.glob(f"*-{digits}-*.json"))
        while not files and time.monotonic() < deadline:
            time.sleep(0.25)
            files = sorted(self.sms.glob(f"*-{digits}-*.json"))
        if not files:
            self.stats.error(f"no SMS file for {phone} within {SMS_WAIT_SECONDS} s")
            return None
        code = json.loads(files[-1].read_text(encoding="utf-8"))["code"]
        r = session.post(
            f"{self.url}/api/v1/auth/verify/", json={"phone": phone, "code": code}, timeout=30
        )
        self.stats.count("verify", r)
        if r.status_code != 200:
            return None
        with self.stats.lock:
            self.stats.voters += 1
        return r.json()["token"]

    def voter_loop(self, n: int) -> None:
        rng = random.Random(n)
        session = requests.Session()
        campaigns = session.get(f"{self.url}/api/v1/campaigns/", timeout=30).json()
        campaigns = (
            campaigns.get("results", campaigns) if isinstance(campaigns, dict) else campaigns
        )
        entries: list[tuple[str, int]] = []
        for c in campaigns:
            r = session.get(f"{self.url}/api/v1/campaigns/{c['slug']}/entries/", timeout=30)
            body = r.json()
            for e in body.get("results", body) if isinstance(body, dict) else body:
                entries.append((c["slug"], e["id"]))
        if not entries:
            self.stats.error("no entry to vote for")
            return
        voters: list[tuple[str, str]] = []  # (token, device id)
        next_voter = 0.0
        serial = 0
        while not self.stop_load.is_set():
            if time.monotonic() >= next_voter:
                # A new voter every 15 s or so: the OTP limits are per phone and per IP.
                serial += 1
                token = self.sign_in(session, f"+861370{n:02d}{serial:05d}")
                if token:
                    voters.append((token, f"soak-{n}-{serial}"))
                next_voter = time.monotonic() + 15
            if not voters:
                time.sleep(1)
                continue
            slug, entry = rng.choice(entries)
            token, device = rng.choice(voters)
            r = session.post(
                f"{self.url}/api/v1/campaigns/{slug}/entries/{entry}/votes/",
                headers={
                    "Authorization": f"Bearer {token}",
                    "X-Device-Id": device,
                },
                timeout=30,
            )
            self.stats.count("vote", r)
            if r.status_code == 201:
                with self.stats.lock:
                    self.stats.votes_accepted += 1
            time.sleep(rng.uniform(0.2, 1.0))  # about 3 votes a second in all

    def admin_session(self) -> requests.Session:
        session = requests.Session()
        login = f"{self.url}/admin/login/"
        session.get(login, timeout=30)
        r = session.post(
            login,
            data={
                "username": "demo-staff",
                "password": os.environ.get("DEMO_PASSWORD", "demo-pass-2026"),
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
                "next": "/admin/",
            },
            headers={"Referer": login},
            timeout=30,
        )
        if "sessionid" not in session.cookies:
            sys.exit(f"soak: demo-staff could not log in to the admin ({r.status_code})")
        return session

    def csrf(self, session: requests.Session) -> dict[str, str]:
        return {"csrfmiddlewaretoken": session.cookies["csrftoken"]}

    def request_report(self, session: requests.Session, campaign_id: int) -> None:
        add = f"{self.url}/admin/reports/report/add/"
        session.get(add, timeout=30)
        r = session.post(
            add, data={**self.csrf(session), "campaign": campaign_id, "pilot": ""},
            headers={"Referer": add}, timeout=60, allow_redirects=False,
        )  # fmt: skip
        self.stats.count("report", r)
        match = re.search(r"/admin/reports/report/(\d+)/", r.headers.get("Location", ""))
        if r.status_code == 302 and match:
            with self.stats.lock:
                self.stats.reports.append(int(match.group(1)))
        else:
            self.stats.error(f"report request answered {r.status_code}")

    def import_roster(self, session: requests.Session, school_id: int, school: str, n: int):
        from tests.spreadsheet_files import ambassador_rows, xlsx

        page = f"{self.url}/admin/ambassadors/ambassador/import/"
        session.get(page, timeout=30)
        # Half new students, half the previous file's again (an import is idempotent).
        start = 900_000 + n * IMPORT_ROWS // 2
        data = xlsx(ambassador_rows(IMPORT_ROWS, school=school, start=start))
        r = session.post(
            page, data={**self.csrf(session), "format": "0", "resource": "0", "school": school_id},
            files={"import_file": (f"soak-{n}.xlsx", data)}, headers={"Referer": page},
            timeout=120,
        )  # fmt: skip
        self.stats.count("import preview", r)
        forms = Forms()
        forms.feed(r.text)
        confirm = next((f for a, f in forms.forms.items() if "process_import" in a), None)
        if r.status_code != 200 or confirm is None:
            self.stats.error(f"import preview {n}: no confirm form (HTTP {r.status_code})")
            return
        process = f"{self.url}/admin/ambassadors/ambassador/process_import/"
        r = session.post(process, data=confirm, headers={"Referer": page}, timeout=120,
                         allow_redirects=False)  # fmt: skip
        self.stats.count("import confirm", r)
        if r.status_code == 302:
            with self.stats.lock:
                self.stats.imports += 1
                self.stats.import_rows += IMPORT_ROWS
        else:
            self.stats.error(f"import confirm {n} answered {r.status_code}")

    def staff_loop(self, campaign_ids: list[int], school_id: int, school: str) -> None:
        session = self.admin_session()
        rng = random.Random(7)
        n = 0
        next_import = time.monotonic() + 10
        while not self.stop_load.is_set():
            self.request_report(session, rng.choice(campaign_ids))
            if time.monotonic() >= next_import:
                self.import_roster(session, school_id, school, n)
                n += 1
                next_import = time.monotonic() + 40
            self.stop_load.wait(rng.uniform(10, 20))

    def guarded(self, loop, *args) -> None:
        """Run a load loop; a request that fails (connection refused, timeout) is counted
        as an error and the loop starts again after a second, until the load stops."""
        while not self.stop_load.is_set():
            try:
                loop(*args)
                return
            except (requests.RequestException, ValueError, KeyError) as exc:
                self.stats.error(f"{loop.__name__}: {type(exc).__name__}: {exc}"[:200])
                self.stop_load.wait(1)

    def run_load(self) -> None:
        # Read-only look-ups of ids in the stack's own database (SQLite, WAL).
        import django

        os.environ.update({k: v for k, v in self.env.items() if k in ("VAR_DIR", "DJANGO_DEBUG")})
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
        sys.path.insert(0, str(REPO))
        django.setup()
        from campaigns.models import Campaign, School

        campaign_ids = list(Campaign.objects.values_list("pk", flat=True))
        school = School.objects.order_by("pk").first()

        threads = [
            threading.Thread(target=self.guarded, args=(self.voter_loop, n)) for n in range(3)
        ]
        threads.append(
            threading.Thread(
                target=self.guarded, args=(self.staff_loop, campaign_ids, school.pk, school.name)
            )
        )
        for t in threads:
            t.daemon = True
            t.start()
        deadline = time.monotonic() + self.minutes * 60
        while time.monotonic() < deadline:
            time.sleep(5)
            if self.stack.poll() is not None:
                self.stats.error(f"bin/run-dev exited ({self.stack.returncode}) during the load")
                break
        self.stop_load.set()
        for t in threads:
            t.join(timeout=120)

    # --- the reckoning ------------------------------------------------------------------

    def ledger_lines(self) -> list[list[str]]:
        if not self.ledger.exists():
            return []
        return [line.split() for line in self.ledger.read_text().splitlines() if line]

    def unfinished(self, ids: set[str]) -> dict[str, str]:
        """Published tasks among ``ids`` whose last run did not reach a final state."""
        names, last = {}, {}
        for fields in self.ledger_lines():
            if fields[0] == "pub":
                names[fields[1]] = fields[2]
            elif fields[0] == "run" and len(fields) >= 4:
                last[fields[1]] = fields[3]
        final = {"SUCCESS", "FAILURE", "IGNORED", "REJECTED"}
        return {i: names.get(i, "?") for i in ids if last.get(i) not in final}

    def queued_ids(self) -> set[str]:
        queue = self.var / "broker" / "queue"
        found = set()
        for path in queue.glob("*.msg"):
            with contextlib.suppress(OSError, ValueError, KeyError):  # taken meanwhile
                found.add(json.loads(path.read_text())["headers"]["id"])
        return found

    def reckon(self) -> int:
        from ambassadors.models import Ambassador
        from campaigns.models import ImportJob
        from reports.models import Report

        load_end = time.monotonic()
        published = {f[1] for f in self.ledger_lines() if f[0] == "pub"}
        finished_states = {Report.Status.DONE, Report.Status.FAILED}
        deadline = load_end + DRAIN_SECONDS
        while time.monotonic() < deadline:
            reports_open = Report.objects.filter(pk__in=self.stats.reports).exclude(
                status__in=finished_states
            )
            jobs_open = ImportJob.objects.exclude(
                status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED]
            )
            if not (reports_open.exists() or jobs_open.exists() or self.unfinished(published)):
                break
            time.sleep(2)
        drained = time.monotonic() - load_end
        lost = self.unfinished(published)
        still_queued = lost.keys() & self.queued_ids()
        alive = self.processes()
        restarts = len(re.findall(r"run-dev: celery \w+ restarted", self.log.read_text()))

        reports = Counter(
            Report.objects.filter(pk__in=self.stats.reports).values_list("status", flat=True)
        )
        jobs = Counter(ImportJob.objects.values_list("status", flat=True))
        run_counts = Counter(f[2] for f in self.ledger_lines() if f[0] == "run")
        log = self.log.read_text(errors="replace")
        tracebacks = log.count("Traceback (most recent call last)")
        decode_errors = log.count("JSONDecodeError")
        rejected = list((self.var / "broker" / "queue" / ".rejected").glob("*"))
        ambassadors = Ambassador.objects.count()
        stack_status = self.stop()

        problems = list(self.stats.errors[:10])
        if len(self.stats.errors) > 10:
            problems.append(f"... and {len(self.stats.errors) - 10} more request errors")
        for role in ("runserver", "worker", "beat"):
            if alive.get(role) != 1:
                problems.append(f"{role}: {alive.get(role, 0)} processes at the end, not 1")
        if reports.get(Report.Status.DONE, 0) != len(self.stats.reports):
            problems.append(f"reports requested {len(self.stats.reports)}, by status {reports}")
        if jobs.get(ImportJob.Status.DONE, 0) != self.stats.imports or len(jobs) > 1:
            problems.append(f"import jobs confirmed {self.stats.imports}, by status {dict(jobs)}")
        if lost:
            sample = ", ".join(f"{name}[{i}]" for i, name in list(lost.items())[:5])
            problems.append(
                f"{len(lost)} tasks published but never finished ({len(still_queued)} still "
                f"in the queue folder): {sample}"
            )
        if tracebacks or decode_errors:
            problems.append(f"log: {tracebacks} tracebacks, {decode_errors} JSONDecodeError")
        if rejected:
            problems.append(f"{len(rejected)} broker files set aside as not whole JSON")
        if stack_status not in (0, 130, 143):
            problems.append(f"bin/run-dev exited with {stack_status} when stopped")

        votes = sum(v for k, v in self.stats.statuses.items() if k.startswith("vote "))
        vote_statuses = {
            k.split()[1]: v for k, v in sorted(self.stats.statuses.items()) if k.startswith("vote")
        }
        print(
            f"\nsoak: {self.minutes:g} min of load on the embedded stack (SQLite, filesystem "
            f"broker, runserver + 1 worker + beat on port {self.port}), drained in "
            f"{drained:.0f} s. {len(self.stats.reports)} reports requested through the "
            f"admin, {reports.get(Report.Status.DONE, 0)} done; {self.stats.imports} roster "
            f"imports of {IMPORT_ROWS} rows as Celery jobs, "
            f"{jobs.get(ImportJob.Status.DONE, 0)} done ({ambassadors} ambassadors now); "
            f"{self.stats.voters} voters signed in by SMS code, {votes} vote requests "
            f"({self.stats.votes_accepted} accepted; by status {vote_statuses}). "
            f"{len(published)} tasks published before the end, {len(published) - len(lost)} "
            f"ran to a final state, {len(lost)} lost; tasks run by name "
            f"{dict(run_counts.most_common())}. Worker/beat restarts: {restarts}; processes "
            f"at the end {alive}. Log: {tracebacks} tracebacks, {decode_errors} "
            f"JSONDecodeError. {'PASSED' if not problems else 'FAILED'}."
        )
        for p in problems:
            print(f"  - {p}")
        return 0 if not problems else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="length of the load")
    parser.add_argument("--keep", action="store_true", help="keep the VAR_DIR (logs, DB)")
    parser.add_argument("--var-dir", help="use this (empty) VAR_DIR instead of a new one")
    args = parser.parse_args()
    var_dir = Path(args.var_dir or tempfile.mkdtemp(prefix="campus-soak."))
    var_dir.mkdir(parents=True, exist_ok=True)
    print(f"soak: VAR_DIR {var_dir}, {args.minutes:g} minutes", flush=True)
    soak = Soak(args.minutes, var_dir)
    status = 1
    try:
        soak.start()
        print(f"soak: stack up on {soak.url}; load for {args.minutes:g} min", flush=True)
        soak.run_load()
        status = soak.reckon()
    finally:
        soak.stop()
        if status == 0 and not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"soak: logs and database kept in {var_dir} (run-dev.log, task-ledger)")
    return status


if __name__ == "__main__":
    sys.exit(main())
