"""The structure as a contract: services in bot/ never import handlers/ or the local Bot API (only the composition
root and the command line do), there is no import cycle anywhere, handler files stay small, and features share
no ``bot_data`` string keys."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers")
# The composition root and the command line wire everything together; the local Bot API is a tool of its own.
MAY_IMPORT_OUTER = {"bot.app", "bot.__main__", "bot.terminal"}
OUTER = ("handlers", "bot.local_api")
HANDLER_FILE_LIMIT = 300


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Every project module ``name`` imports, at module level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in known and t != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def test_core_services_never_import_handlers_or_the_local_api():
    offenders = sorted(
        f"{name} → {target}"
        for name, targets in graph().items()
        if name.startswith("bot") and not name.startswith("bot.local_api") and name not in MAY_IMPORT_OUTER
        for target in targets
        if target.startswith(OUTER)
    )
    assert offenders == []


def test_there_is_no_import_cycle():
    edges = graph()
    # A package's __init__ importing its own submodules is how Python packages work, not a cycle of features.
    edges = {name: {t for t in targets if not t.startswith(name + ".")} for name, targets in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert cycles == []


def test_handler_files_stay_small():
    long_files = {str(p.relative_to(ROOT)): n for p in (ROOT / "handlers").rglob("*.py")
                  if (n := len(p.read_text(encoding="utf-8").splitlines())) > HANDLER_FILE_LIMIT}
    assert long_files == {}


def test_features_share_no_bot_data_keys():
    uses = [str(p.relative_to(ROOT)) for package in PACKAGES for p in (ROOT / package).rglob("*.py")
            if "bot_data[" in p.read_text(encoding="utf-8") or "bot_data.get(" in p.read_text(encoding="utf-8")]
    assert uses == []
