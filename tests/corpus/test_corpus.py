"""Every file of the roster corpus (tests/corpus/files/, written by LibreOffice through
bin/build-roster-corpus) imports as its author meant: the admin preview in zh-hans and
the command line in English read it alike, and the rows written are the manifest's.
A file the manifest says is refused writes nothing and names its bad rows."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from ambassadors.models import Ambassador, WorkLog
from campaigns.models import Campaign, Expense
from tests.factories import AmbassadorFactory, CampaignFactory, PilotFactory, RoundFactory
from tests.spreadsheet_files import roster_snapshot, run_import
from voting.models import Entry

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
WORLD = json.loads((FILES / "world.json").read_text(encoding="utf-8"))
MANIFESTS = sorted(p for p in FILES.rglob("*.json") if p.name != "world.json")
ADMIN_MODELS = {
    "ambassadors": "ambassadors_ambassador",
    "worklogs": "ambassadors_worklog",
    "expenses": "campaigns_expense",
    "contestants": "voting_entry",
}


@pytest.fixture
def world(school_a):
    spec = WORLD["pilot"]
    pilot = PilotFactory(
        school=school_a,
        name=spec["name"],
        starts_on=dt.date.fromisoformat(spec["starts_on"]),
        ends_on=dt.date.fromisoformat(spec["ends_on"]),
    )
    campaign = CampaignFactory(
        pilot=pilot,
        slug=WORLD["campaign"]["slug"],
        kind=Campaign.Kind.DAILY_TOPIC,
        with_round=False,
    )
    for number, topic in WORLD["campaign"]["rounds"]:
        RoundFactory(campaign=campaign, number=number, topic=topic)
    for student_id, name, role in WORLD["ambassadors"]:
        AmbassadorFactory(school=school_a, student_id=student_id, name=name, role=role)
    return campaign


def stored_rows(kind: str, school, expected: list[list]) -> list[list]:
    """The rows of ``kind`` as the manifests write them: every row but the world's own
    ambassadors that the manifest does not list."""
    if kind == "ambassadors":
        listed = {row[0] for row in expected}
        world_ids = {sid for sid, _name, _role in WORLD["ambassadors"]} - listed
        return sorted(
            [a.student_id, a.name, a.role, a.phone, str(a.hourly_rate), a.active]
            for a in Ambassador.objects.filter(school=school).exclude(student_id__in=world_ids)
            if a.user_id is None
        )
    if kind == "worklogs":
        return sorted(
            [w.ambassador.student_id, w.date.isoformat(), str(w.hours), w.task]
            for w in WorkLog.objects.select_related("ambassador")
        )
    if kind == "expenses":
        return sorted(
            [e.spent_on.isoformat(), e.category, str(e.amount), e.note]
            for e in Expense.objects.all()
        )
    return sorted(
        [e.round.number, e.student_id, e.name, e.caption]
        for e in Entry.objects.select_related("round")
    )


def command_args(kind: str, path: Path, language: str) -> list[str]:
    args = [kind, str(path), "--school", WORLD["school"]["slug"], "--language", language]
    if kind == "contestants":
        args += ["--campaign", WORLD["campaign"]["slug"]]
    return args


def problem_lines(problems) -> list:
    return [p.line for p in problems]


@pytest.mark.parametrize("manifest_path", MANIFESTS, ids=lambda p: p.stem)
def test_corpus_file_imports_as_its_author_meant(world, ops_client, school_a, manifest_path):
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    expect = manifest["expect"]
    kind = manifest["kind"]
    path = manifest_path.parent / manifest["file"]
    before = roster_snapshot()

    # The admin's preview, in zh-hans (the site's language): nothing written.
    data = {
        "format": "0",
        "resource": "0",
        "import_file": SimpleUploadedFile(path.name, path.read_bytes()),
    }
    if kind == "contestants":
        data["campaign"] = world.pk
    else:
        data["school"] = school_a.pk
    with translation.override("zh-hans"):
        preview = ops_client.post(reverse(f"admin:{ADMIN_MODELS[kind]}_import"), data)
    assert preview.status_code == 200
    assert roster_snapshot() == before
    form_errors = preview.context["form"].errors.get("import_file")
    result = preview.context.get("result")
    if expect["ok"]:
        assert not form_errors, form_errors
        assert not result.problems, [str(p) for p in result.problems]
        assert result.totals["new"] == expect["new"]
        assert result.totals["update"] == expect["updated"]
        sheet = preview.context["preview_sheet"]
        assert sheet.name == expect["sheet"]
        assert sheet.header_line == expect.get("header_line", 1)
        notes = {n.line for n in preview.context["preview_notes"]}
        assert notes == set(expect["skipped"]) | set(expect["notes"])
        assert len(result.changes) == expect["new"] + expect["updated"]
    else:
        messages = list(form_errors or []) + [str(p) for p in getattr(result, "problems", [])]
        for _line, text in expect["problems"]:
            assert any(text in m for m in messages), (text, messages)

    # The command line, in English, accepts exactly the same file and writes its rows.
    code, out, err = run_import(*command_args(kind, path, "en"))
    if expect["ok"]:
        assert code == 0, out + err
        assert f"{expect['new']} new, {expect['updated']} updated" in out
        assert stored_rows(kind, school_a, expect["rows"]) == sorted(expect["rows"])
        # Importing it again changes nothing.
        again = roster_snapshot()
        code, out, err = run_import(*command_args(kind, path, "zh-hans"))
        assert code == 0, out + err
        assert roster_snapshot() == again
    else:
        assert code == 1
        assert roster_snapshot() == before
        for line, text in expect["problems"]:
            wanted = f"row {line}: " if line is not None else "file: "
            assert any(t.startswith(wanted) and text in t for t in out.splitlines()), (line, out)


def test_the_corpus_covers_every_habit_in_every_format():
    by_case: dict[str, set[str]] = {}
    for path in MANIFESTS:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        by_case.setdefault(manifest["file"].split(".")[0], set()).add(manifest["format"])
        assert (path.parent / manifest["file"]).exists()
        assert manifest["written_by"].startswith("LibreOffice")
    formats = {"xlsx", "xls", "csv-utf8", "csv-utf8-bom", "csv-gbk", "csv-gb18030"}
    assert by_case and all(found == formats for found in by_case.values()), by_case
