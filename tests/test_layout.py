"""Rules of the house that code review alone would let slip: checked over the source tree."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [p for d in ("bot", "handlers", "storage") for p in (ROOT / d).rglob("*.py") if "migrations" not in p.parts]
# Core SQL bypasses the session's workspace scoping; only these may use it, and none of them reads okrbot's rows:
# the engine and migrations, throwaway test schemas, and slack_sdk's installation table.
CORE_SQL_ALLOWED = {"storage/db.py", "storage/scratch.py", "bot/workspaces.py"}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_code_never_imports_slack_bolt():
    offenders = [_rel(p) for p in ROOT.joinpath("bot").rglob("*.py")
                 if any(name.split(".")[0] == "slack_bolt" for name in _imports(ast.parse(p.read_text())))]
    assert offenders == []


def test_no_product_code_queries_okrbot_tables_around_the_workspace_scope():
    offenders = []
    for path in PRODUCT:
        if _rel(path) in CORE_SQL_ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute):
                continue
            owner = node.value.id if isinstance(node.value, ast.Name) else ""
            if (node.attr in ("__table__", "exec_driver_sql", "raw_connection")
                    or (node.attr == "text" and owner in ("sa", "sqlalchemy"))
                    or (node.attr in ("connect", "begin") and "engine" in owner)):
                offenders.append(f"{_rel(path)}:{node.lineno} {owner}.{node.attr}")
        if "sqlalchemy" in _imports(tree) and "import text" in path.read_text():
            offenders.append(f"{_rel(path)}: from sqlalchemy import text")
    assert offenders == []
