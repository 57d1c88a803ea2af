"""The scoring package, the model page and the dashboard figures import one way:

    customers.models -> customers.figures.models (the tables only, to register them)
    customers.figures.nightly -> customers, scores, handover.selectors
    customers.model_page -> customers.scoring
    handover, alerts, customers.scoring -> never the figures' code or the model page

Read from the source with `ast` (every import, including those inside functions), so a
new import that closes a loop fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Every module named by an import in the file, absolute (`from x import y` gives
    both `x` and `x.y`, since y may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_under(folder: str) -> dict[str, set[str]]:
    return {str(path.relative_to(ROOT)): imports_of(path) for path in (ROOT / folder).rglob("*.py")}


def offending(found: dict[str, set[str]], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{path}: {name}"
        for path, names in found.items()
        for name in names
        if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)
    )


def test_it_keeps_the_scoring_package_free_of_its_readers():
    forbidden = ("customers.figures", "customers.model_page", "customers.views", "handover")
    assert offending(imports_under("customers/scoring"), forbidden) == []


def test_it_lets_the_customers_models_register_only_the_figure_tables():
    names = imports_of(ROOT / "customers" / "models.py")
    figures = {name for name in names if name.startswith("customers.figures")}
    assert figures and all(name.startswith("customers.figures.models") for name in figures)


def test_it_keeps_the_figure_tables_free_of_the_code_that_fills_them():
    forbidden = ("customers.figures.nightly", "customers.figures.dashboard", "handover", "alerts")
    assert (
        offending({"models.py": imports_of(ROOT / "customers/figures/models.py")}, forbidden) == []
    )


def test_it_keeps_handover_and_alerts_from_importing_the_figures_or_the_model_page():
    forbidden = ("customers.figures", "customers.model_page")
    found = {**imports_under("handover"), **imports_under("alerts"), **imports_under("staff")}
    assert offending(found, forbidden) == []


def test_it_keeps_the_split_modules_pointing_one_way():
    # handover: the nightly job reads and calls the services; the e-mails read neither.
    # The model page: the views read the job states and the descriptions, not back.
    # HR imports: the kinds read the teams' and employees' code, those read what they share.
    one_way = {
        "handover/services.py": ("handover.nightly", "handover.tasks"),
        "handover/notices.py": ("handover.services", "handover.nightly"),
        "customers/model_page/describe.py": (
            "customers.model_page.jobs",
            "customers.model_page.views",
        ),
        "customers/model_page/jobs.py": ("customers.model_page.views",),
        "staff/imports/rows.py": ("staff.imports.teams", "staff.imports.employees"),
        "staff/imports/teams.py": ("staff.imports.employees",),
        "staff/imports/employees.py": ("staff.imports.teams",),
    }
    assert [
        problem
        for path, forbidden in one_way.items()
        for problem in offending({path: imports_of(ROOT / path)}, forbidden)
    ] == []
