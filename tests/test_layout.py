"""The layout keeps its promises (ARCHITECTURE.md): small modules and functions, thin handlers,
no import cycle, pure Block Kit builders, services free of Bolt, models free of our code.

Read with `ast` from the source, so nothing is imported or run. An import counts wherever it
is written (module level, inside a function, or under TYPE_CHECKING): a cycle through a lazy or
type-only import is still a cycle in the design.
"""

from __future__ import annotations

import ast
import statistics
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "models")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
MAX_HANDLER_LINES = 30
MAX_HANDLER_MEDIAN = 15
# Infrastructure that wires Bolt itself: the app factory, the server, the CLI, Socket Mode and
# the installation check (a Bolt middleware and authorize); with many workspaces, Bolt's
# authorize and its OAuth install flow. Not services.
BOLT_WIRING = {
    "bot.app",
    "bot.server",
    "bot.cli",
    "bot.socket_mode",
    "bot.installation",
    "bot.installations.authorize",
    "bot.installations.oauth",
}
# What makes a module a service (it opens sessions, runs queries or calls Slack) for the
# builders' purity check. Models are data shapes and don't count.
SERVICE_IMPORTS = ("sqlalchemy", "slack_sdk.web", "httpx", "aiohttp", "slack_bolt")


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


@cache
def tree(name: str) -> ast.Module:
    return ast.parse(modules()[name].read_text(), filename=str(modules()[name]))


def imported(name: str) -> Iterator[str]:
    """Every module name `name` imports, ours or not (`from a import b` yields a.b when that is
    a module of ours, else a)."""
    package = name if modules()[name].name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree(name)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if candidate in modules() else base


def ours(name: str) -> set[str]:
    """The modules of ours that `name` imports (a package's own __init__ excluded when the
    import names a module inside it)."""
    return {target for target in imported(name) if target in modules() and target != name}


def functions(name: str) -> Iterator[tuple[str, int, bool]]:
    """(qualified name, lines, top level) for every function in the module."""
    for node in tree(name).body:
        yield from _functions(node, prefix="", top=True)


def _functions(node: ast.AST, *, prefix: str, top: bool) -> Iterator[tuple[str, int, bool]]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        lines = (node.end_lineno or node.lineno) - node.lineno + 1
        yield f"{prefix}{node.name}", lines, top
        for child in node.body:
            yield from _functions(child, prefix=f"{prefix}{node.name}.", top=False)
    elif isinstance(node, ast.ClassDef):
        for child in node.body:
            yield from _functions(child, prefix=f"{prefix}{node.name}.", top=False)


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), outside models/."""
    graph = {name: ours(name) for name in modules() if not name.startswith("models")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, set()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def is_service(name: str) -> bool:
    if name.startswith(("models", "bot.ui")):
        return False
    return any(
        target == prefix or target.startswith(f"{prefix}.")
        for target in imported(name)
        for prefix in SERVICE_IMPORTS
    )


def reachable(start: str) -> dict[str, str]:
    """Every module of ours reachable from `start`, each with the module that imports it."""
    seen: dict[str, str] = {}
    todo = [start]
    while todo:
        current = todo.pop()
        for target in ours(current):
            if target not in seen and target != start:
                seen[target] = current
                todo.append(target)
    return seen


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: count
        for name, path in modules().items()
        if (count := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_50_lines() -> None:
    long = [
        f"{name}.{function} ({lines})"
        for name in modules()
        for function, lines, _ in functions(name)
        if lines > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_handlers_are_thin() -> None:
    sizes = {
        f"{name}.{function}": lines
        for name in modules()
        if name.startswith("handlers")
        for function, lines, top in functions(name)
        if top and function != "register"
    }
    assert sizes, "no handler functions found"
    assert {name: lines for name, lines in sizes.items() if lines > MAX_HANDLER_LINES} == {}
    assert statistics.median(sizes.values()) <= MAX_HANDLER_MEDIAN


def test_there_is_no_import_cycle() -> None:
    assert cycles() == []


def test_builders_reach_no_service() -> None:
    reached = {
        f"{name} -> {target} (through {via})"
        for name in modules()
        if name.startswith("bot.ui")
        for target, via in reachable(name).items()
        if is_service(target)
    }
    assert sorted(reached) == []


def test_services_do_not_import_handlers_or_bolt() -> None:
    wrong = {
        f"{name} imports {target}"
        for name in modules()
        if name.startswith("bot") and name not in BOLT_WIRING
        for target in imported(name)
        if target.split(".")[0] in ("handlers", "slack_bolt")
    }
    assert sorted(wrong) == []


def test_models_import_nothing_of_ours() -> None:
    wrong = {
        f"{name} imports {target}"
        for name in modules()
        if name.startswith("models")
        for target in imported(name)
        if target.split(".")[0] in ("bot", "handlers")
    }
    assert sorted(wrong) == []


def test_the_checks_can_fail() -> None:
    """The walkers see what they must: a known import, a known function, a known service."""
    assert "bot.config" in ours("bot.app")
    assert any(function == "create_app" for function, _, _ in functions("bot.app"))
    assert is_service("bot.db") and not is_service("bot.retro.wording")
