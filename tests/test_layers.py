"""The house's layering, read from the code's own imports (docs/architecture.md).

- Apps, bottom to top: ``core`` < ``campaigns`` < ``ambassadors`` < ``voting`` <
  ``reports`` < ``home`` < ``web`` < ``demo``; a module imports only from its own layer or below.
  ``core`` imports no app, and nothing imports ``demo``.
- Inside an app: models and errors < selectors < services < tasks and import resources
  < admin, API, site views and commands. At module level an import never goes up. The
  one import allowed upward is a service enqueueing its task from inside a function
  (tasks import services at their top, so the other way round would be a circle).
- Dotted strings that name a module of a higher layer (the import kinds, the school
  scoping paths, the intern's permissions) resolve to what they name.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import FieldDoesNotExist
from django.utils.module_loading import import_string

REPO = Path(__file__).resolve().parents[1]
APPS = ["core", "campaigns", "ambassadors", "voting", "reports", "home", "web", "demo"]
APP_RANK = {name: rank for rank, name in enumerate(APPS)}

# The layer of a module inside its app, by its first path component below the app.
INNER_RANK = {
    "models": 0,
    "errors": 0,
    "checks": 0,
    "audit": 0,
    "rules": 0,
    "roles": 1,
    "scoping": 1,
    "selectors": 1,
    "services": 2,
    "rosters": 2,
    "runner": 2,
    "verdict": 2,
    "data_checks": 2,
    "pilot": 2,
    "charts": 2,
    "exports": 2,
    "panels": 2,
    "tasks": 3,
    "resources": 3,
    "seed": 3,
    "admin": 4,
    "admin_audit": 4,
    "api": 4,
    "views": 4,
    "templatetags": 4,
    "forms": 4,
    "urls": 4,
    "management": 4,
    # AppConfig.ready() wires signals and checks: Django calls it, nothing imports it.
    "apps": 4,
}


@dataclass(frozen=True)
class Edge:
    source: str  # dotted module
    target: str  # dotted module imported
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = "inside a function" if self.in_function else "at module level"
        return f"{self.source}:{self.line} imports {self.target} ({where})"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _edges() -> list[Edge]:
    edges = []
    for app in APPS:
        root = REPO / app
        if not root.is_dir():
            continue
        for path in root.rglob("*.py"):
            if "migrations" in path.parts:
                continue  # migrations use apps.get_model, never app code
            source = _module_name(path)
            tree = ast.parse(path.read_text(), filename=str(path))
            functions = {
                id(node)
                for outer in ast.walk(tree)
                if isinstance(outer, ast.FunctionDef | ast.AsyncFunctionDef)
                for node in ast.walk(outer)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    targets = [node.module]
                    # ``from voting.tasks import photos`` imports the module voting.tasks.photos
                    targets += [f"{node.module}.{alias.name}" for alias in node.names]
                elif isinstance(node, ast.Import):
                    targets = [alias.name for alias in node.names]
                else:
                    continue
                for target in targets:
                    if target.split(".")[0] in APP_RANK and _is_module(target):
                        edges.append(Edge(source, target, node.lineno, id(node) in functions))
    return edges


def _is_module(dotted: str) -> bool:
    base = REPO.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _inner_rank(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None
    return INNER_RANK.get(parts[1])


EDGES = _edges()


def test_the_graph_is_read():
    # A broken reader would pass every rule below by finding no imports.
    assert len(EDGES) > 200
    assert any(e.source == "voting.services.votes" and e.target == "voting.models" for e in EDGES)


def test_no_app_imports_an_app_above_it():
    upward = [
        str(e) for e in EDGES if APP_RANK[e.target.split(".")[0]] > APP_RANK[e.source.split(".")[0]]
    ]
    assert upward == []


def test_core_imports_no_app_and_nothing_imports_demo():
    assert [str(e) for e in EDGES if e.source.startswith("core") and e.target[:4] != "core"] == []
    assert [str(e) for e in EDGES if e.target.startswith("demo") and e.source[:4] != "demo"] == []


def test_inside_an_app_no_module_level_import_goes_up_a_layer():
    upward = []
    for e in EDGES:
        if e.source.split(".")[0] != e.target.split(".")[0]:
            continue
        low, high = _inner_rank(e.target), _inner_rank(e.source)
        if low is None or high is None or low <= high:
            continue
        seam = e.in_function and high == INNER_RANK["services"]
        seam = seam and e.target.split(".")[1] == "tasks"
        if not seam:
            upward.append(str(e))
    assert upward == []


def test_services_enqueue_tasks_only_from_inside_functions():
    at_top = [
        str(e)
        for e in EDGES
        if _inner_rank(e.source) == INNER_RANK["services"]
        and e.target.split(".")[1:2] == ["tasks"]
        and not e.in_function
    ]
    assert at_top == []
    assert any(".services" in e.source and ".tasks" in e.target for e in EDGES)


def test_tasks_import_their_services_at_module_top():
    # A task importing inside its function would hide a circle the layering forbids.
    local = [str(e) for e in EDGES if e.source.split(".")[1:2] == ["tasks"] and e.in_function]
    assert local == []


def test_nothing_enqueues_a_task_by_name():
    offenders = [
        str(path.relative_to(REPO))
        for app in APPS
        if (REPO / app).is_dir()
        for path in (REPO / app).rglob("*.py")
        if "send_task(" in path.read_text()
    ]
    assert offenders == []


# --- Dotted strings naming a higher layer -------------------------------------------------


def test_every_import_kind_names_a_roster_resource():
    from campaigns.rosters.pipeline import KINDS, RosterResource

    assert set(KINDS) == {"ambassadors", "contestants", "worklogs", "expenses"}
    for kind, dotted in KINDS.items():
        resource = import_string(dotted)
        assert issubclass(resource, RosterResource), kind


def _walk_lookup(model, lookup: str) -> None:
    for name in lookup.split("__"):
        if name == "pk":
            return
        field = model._meta.get_field(name)
        model = field.related_model or model
    assert model._meta.label_lower == "campaigns.school", lookup


def test_every_school_path_leads_from_its_model_to_a_school():
    from campaigns.scoping import SCHOOL_PATHS

    for label, lookup in SCHOOL_PATHS.items():
        model = apps.get_model(label)
        try:
            _walk_lookup(model, lookup)
        except FieldDoesNotExist as exc:  # pragma: no cover - the failure message
            pytest.fail(f"{label}: {lookup}: {exc}")


@pytest.mark.django_db
def test_every_role_permission_exists():
    from campaigns.rules import AMBASSADOR_PERMISSIONS, SCOPED_MODELS

    for label in SCOPED_MODELS:
        apps.get_model(label)
    for label, actions in AMBASSADOR_PERMISSIONS.items():
        app_label, model = label.split(".")
        for action in actions:
            codename = f"{action}_{model}"
            assert Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).exists(), f"{label}: {codename}"
