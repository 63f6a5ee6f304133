"""The shape of the house (DESIGN.md), checked on the source: what lives at the top of
magazine_app/, who may import whom, how big a module may grow. A newcomer finds things by
the tree; these tests keep the tree honest.

Imports are read with `ast`, those inside functions included: a lazy import is still an
arrow between two modules, and lazy imports are how cycles hide."""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "magazine_app"
BLUEPRINTS = ("auth", "reader", "staff", "api")
ENTRY_POINTS = (*BLUEPRINTS, "cli")
MAX_LINES = 400

# DESIGN.md's parts: packages, plus the few modules it names.
TOP_LEVEL = {
    "__init__.py",
    "access.py",
    "storage.py",
    "models",
    "accounts",
    "catalog",
    "subscriptions",
    "search",
    "ingest",
    "jobs",
    "core",
    "demo",
    "cli",
    *BLUEPRINTS,
    "migrations",
    "static",
    "translations",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> list[tuple[str, set[str]]]:
    """(imported module, names taken from it) for every import statement, at any depth."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                if sub in MODULES:  # `from package import module`
                    found.append((sub, set()))
                else:
                    found.append((source, {alias.name}))
    return [(m, names) for m, names in found if m in MODULES and m != module]


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:`: imports there exist for the type
    checker only (annotations naming a class of a sibling module) and never run."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            skipped.update(id(n) for child in node.body for n in ast.walk(child))
    return [n for n in ast.walk(tree) if id(n) not in skipped]


def _allowed(module: str, target: str, names: set[str]) -> bool:
    """The one allowed back-edge: a blueprint's route module takes its own package's `bp`
    (the package imports its routes last, as microblog and Flask's docs do)."""
    top = module.split(".")
    return (
        len(top) == 3 and top[1] in BLUEPRINTS and target == ".".join(top[:2]) and names == {"bp"}
    )


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, names in _imports(module, path):
            if not _allowed(module, target, names):
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(set(graph) | {n for targets in graph.values() for n in targets}):
        if node not in index:
            visit(node)
    return components


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_type_checking_imports_are_not_arrows(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import magazine_app.storage\n"
    )
    assert _imports("magazine_app.x", path) == []


def test_cycle_detector_sees_a_lazy_cycle() -> None:
    """The detector itself: a cycle made of a function-level import is found."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_function_level_imports_are_arrows(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from magazine_app import storage\n")
    assert ("magazine_app.storage", set()) in _imports("magazine_app.x", path)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_entry_points_do_not_import_each_other(entry: str) -> None:
    """auth, reader, staff, api and cli are entry points side by side: what two of them
    need lives below them (storage, accounts, catalog...), never in one of them."""
    own = f"magazine_app.{entry}"
    others = tuple(f"magazine_app.{e}" for e in ENTRY_POINTS if e != entry)
    wrong = sorted(
        f"{module} -> {target}"
        for module, path in MODULES.items()
        if module == own or module.startswith(own + ".")
        for target, _ in _imports(module, path)
        if target.startswith(others) and target.split(".")[1] != entry
    )
    assert wrong == []


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_each_blueprint_defines_bp_in_its_package(blueprint: str) -> None:
    tree = ast.parse((PACKAGE / blueprint / "__init__.py").read_text("utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert "bp" in assigned


def test_domain_and_ingest_never_import_flask_views() -> None:
    """ingest/ knows PDFs and files only (no Flask, no models); the feature packages and the
    gate know no blueprint."""
    wrong = []
    for module, path in MODULES.items():
        if not module.startswith("magazine_app.ingest"):
            continue
        text = path.read_text("utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name.split(".")[0] in ("flask", "flask_sqlalchemy", "sqlalchemy") or (
                    name.startswith("magazine_app.")
                    and not name.startswith(("magazine_app.ingest", "magazine_app.core.lifeline"))
                ):
                    wrong.append(f"{module} imports {name}")
    assert wrong == []


def test_top_level_holds_only_the_parts_design_names() -> None:
    entries = {
        p.name
        for p in PACKAGE.iterdir()
        if p.name != "__pycache__" and not p.name.endswith(".egg-info")
    }
    assert entries == TOP_LEVEL


def test_no_module_over_the_size_design_asks() -> None:
    big = {
        module: n
        for module, path in MODULES.items()
        if (n := len(path.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}


# Where things lived before the house was arranged by role (see the README's layout). No
# module was left behind to re-export them: an old import fails loudly.
OLD_PATHS = (
    "magazine_app.config",
    "magazine_app.extensions",
    "magazine_app.errors",
    "magazine_app.security",
    "magazine_app.i18n",
    "magazine_app.sqlite",
    "magazine_app.mail",
    "magazine_app.audit",
    "magazine_app.converters",
    "magazine_app.jsonbody",
    "magazine_app.ratelimit_sqlite",
    "magazine_app.lifeline",
    "magazine_app.processing",
    "magazine_app.editorial",
    "magazine_app.reading",
    "magazine_app.stats",
    "magazine_app.subscription_import",
    "magazine_app.api_keys",
    "magazine_app.issues_cli",
    "magazine_app.billing_cli",
    "magazine_app.serve",
    "magazine_app.search.cli",
    "magazine_app.ingest.demo",
    "magazine_app.auth.mails",
    "magazine_app.reader.views",
)


@pytest.mark.parametrize("old", OLD_PATHS)
def test_old_import_paths_fail(old: str) -> None:
    try:
        importlib.import_module(old)
    except ModuleNotFoundError:
        return
    raise AssertionError(f"{old} still imports")


def test_tables_are_imported_from_models_only() -> None:
    """`magazine_app.models` is the one import path for tables: its submodules (one per
    feature) are its implementation, imported by nothing outside models/."""
    wrong = sorted(
        f"{module} -> {target}"
        for module, path in MODULES.items()
        if not module.startswith("magazine_app.models")
        for target, _ in _imports(module, path)
        if target.startswith("magazine_app.models.")
    )
    assert wrong == []
