"""Rules of the house that code review alone would let slip: checked over the source tree.

The layers, top to bottom; a module may import its own layer's modules and any layer below, never one above:

    app.py -> web/ -> handlers/ -> bot/cli.py, bot/sim/ -> bot/answers/ | bot/jobs/ | bot/okr_files/ -> bot/views/
           -> bot/reports/ -> bot/slack/ -> bot/rules/ -> storage/, bot/settings.py, bot/metrics.py

answers, jobs and okr_files are side by side: none of them imports another.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [p for d in ("bot", "handlers", "storage", "web") for p in (ROOT / d).rglob("*.py") if "migrations" not in p.parts]
PRODUCT.append(ROOT / "app.py")
# Core SQL bypasses the session's workspace scoping; only these may use it, and none of them reads okrbot's rows:
# the engine and migrations, throwaway test schemas, slack_sdk's installation table, and SQL sources (a team's own
# database, read-only).
CORE_SQL_ALLOWED = {"storage/db.py", "storage/scratch.py", "storage/installations.py", "bot/sources/sql.py"}

LAYERS = [
    ("app", ("app",)),
    ("web", ("web",)),
    ("handlers", ("handlers",)),
    ("entry points", ("bot.cli", "bot.sim")),
    ("answers, jobs, OKR files", ("bot.answers", "bot.jobs", "bot.okr_files")),
    ("views", ("bot.views",)),
    ("reports", ("bot.reports",)),
    ("slack", ("bot.slack",)),
    ("sources", ("bot.sources",)),
    ("rules", ("bot.rules",)),
    ("storage, settings, metrics", ("storage", "bot.settings", "bot.metrics")),
]
# Side by side in one layer, so neither may import the other.
PEERS = ("bot.answers", "bot.jobs", "bot.okr_files")
MAX_LINES = 400


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in PRODUCT}


def _trees() -> dict[str, ast.AST]:
    return {name: ast.parse(path.read_text()) for name, path in MODULES.items()}


TREES = _trees()


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _product_imports(tree: ast.AST) -> set[str]:
    """The product modules a module imports: `from bot.views import status` names bot.views.status. Imports under
    TYPE_CHECKING and inside functions count too."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULES:
                    found.add(f"{node.module}.{alias.name}")
                elif node.module in MODULES:
                    found.add(node.module)
    return found


def _layer(module: str) -> tuple[int, str]:
    """The module's layer number (0 is the top) and the package that places it there."""
    for number, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                return number, prefix
    return -1, ""


def test_every_product_module_has_a_layer():
    assert [m for m in MODULES if m not in ("bot", "handlers", "storage", "web") and _layer(m)[0] < 0] == []


def test_imports_only_run_down_the_layers():
    offenders = []
    for module, tree in TREES.items():
        number, home = _layer(module)
        for target in _product_imports(tree):
            to, there = _layer(target)
            if to < number:
                offenders.append(f"{module} -> {target}: {LAYERS[number][0]} imports {LAYERS[to][0]}")
            elif to == number and home in PEERS and there in PEERS and home != there:
                offenders.append(f"{module} -> {target}: {home} and {there} are side by side")
    assert offenders == []


def test_no_import_circles():
    graph = {module: _product_imports(tree) - {module} for module, tree in TREES.items()}
    # Tarjan's strongly connected components: any component of more than one module is a circle.
    index, low, on_stack, stack, circles = {}, {}, set(), [], []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
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
                circles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert circles == []


def test_rules_are_pure_and_views_only_build_blocks():
    offenders = []
    for module, tree in TREES.items():
        imported = _imports(tree)
        if module.startswith("bot.rules"):
            offenders += [f"{module} imports {name}" for name in imported
                          if name.split(".")[0] in ("bot", "storage", "handlers", "sqlmodel", "sqlalchemy",
                                                    "slack_sdk", "slack_bolt") and not name.startswith("bot.rules")]
        if module.startswith("bot.views"):
            offenders += [f"{module} imports {name}" for name in imported
                          if name.split(".")[0] in ("sqlmodel", "sqlalchemy", "slack_sdk", "slack_bolt")
                          or name in ("storage.db", "bot.settings")]
    assert offenders == []


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


def test_only_storage_commits_or_rolls_back():
    """The session rule (storage/db.py): bot/ and handlers/ never end a transaction themselves."""
    offenders = []
    for module, tree in TREES.items():
        if module.startswith("storage"):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("commit", "rollback")):
                offenders.append(f"{module}:{node.lineno} {node.func.attr}()")
    assert offenders == []


def test_now_is_keyword_only_everywhere():
    offenders = []
    for module, tree in TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if "now" in [a.arg for a in node.args.posonlyargs + node.args.args]:
                    offenders.append(f"{module}:{node.lineno} {node.name}")
    assert offenders == []


def test_block_kit_ids_live_in_one_module():
    """callback_id, block_id and action_id are never spelled as literals outside bot/slack/ids.py."""
    offenders = []
    for module, tree in TREES.items():
        if module == "bot.slack.ids":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if (isinstance(key, ast.Constant) and key.value in ("callback_id", "block_id", "action_id")
                            and isinstance(value, ast.Constant | ast.JoinedStr)):
                        offenders.append(f"{module}:{node.lineno} {key.value}")
    assert offenders == []


def test_modules_stay_small_or_say_why_not():
    """A module over MAX_LINES lines says in its docstring why it is kept in one piece."""
    offenders = []
    for module, path in MODULES.items():
        lines = len(path.read_text().splitlines())
        docstring = ast.get_docstring(TREES[module]) or ""
        if lines > MAX_LINES and "Kept in one module" not in docstring:
            offenders.append(f"{module}: {lines} lines")
    assert offenders == []


def test_one_home_for_each_idea():
    """A few names that used to be defined in several places are defined once."""
    defined = defaultdict(list)
    for module, tree in TREES.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                defined[node.name].append(module)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        defined[target.id].append(module)
    for name in ("plural", "escape", "WEEKDAYS", "owner_zone", "local_day", "schedule_text", "Answer", "Sender",
                 "Report", "sent", "team_summary", "team_settings_line", "no_such_team", "live_key_results"):
        assert len(defined[name]) == 1, (name, defined[name])
    assert "DAY_NAMES" not in defined and "team_line" not in defined and "_plural" not in defined
