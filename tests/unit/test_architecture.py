"""Imports point one way: bot → scheduler → handlers → storage, and only bot/ talks to a
chat platform. Read from the source with `ast`, so even an import under TYPE_CHECKING
or inside a function counts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ("slack_bolt", "slack_sdk", "slack", "botbuilder", "botframework", "aiohttp")
FORBIDDEN = {
    "handlers": (*PLATFORM, "bot", "scheduler"),
    "scheduler": (*PLATFORM, "bot"),
    "storage": (*PLATFORM, "bot", "handlers", "scheduler"),
}


def imported_modules(source: str, module: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, the code of `module`
    (dotted, e.g. `handlers.router`). Also `importlib.import_module("…")` and
    `__import__("…")` with a literal name."""
    package = module.rsplit(".", 1)[0] if "." in module else ""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            found.append((node.lineno, name))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return sorted(found, key=lambda item: item[0])


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def broken_rules(relative: Path, source: str, forbidden: tuple[str, ...]) -> list[str]:
    """`path:line: imports x` for each forbidden import in the file at `relative` (to ROOT)."""
    module = ".".join(relative.with_suffix("").parts)
    return [
        f"{relative}:{line}: imports {name} ({relative.parts[0]}/ must not)"
        for line, name in imported_modules(source, module)
        if name.split(".")[0] in forbidden
    ]


def _check(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return broken_rules(path.relative_to(ROOT), path.read_text(encoding="utf-8"), forbidden)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_is_below_it(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no Python files found in {layer}/"
    problems = [p for path in files for p in _check(path, FORBIDDEN[layer])]
    assert not problems, "\n" + "\n".join(problems)


def test_bot_package_init_imports_nothing_platform_specific() -> None:
    problems = _check(ROOT / "bot" / "__init__.py", PLATFORM)
    assert not problems, "\n" + "\n".join(problems)


def test_the_core_loads_no_platform_package_at_run_time() -> None:
    """Transitively, too: importing every core module pulls in no platform library."""
    modules = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for layer in FORBIDDEN
        for path in (ROOT / layer).rglob("*.py")
        if "migrations" not in path.parts
    )
    program = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"prefixes = {(*PLATFORM, 'bot')!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in prefixes))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", f"platform modules loaded: {result.stdout}"


# ---------------------------------------------------------------------- the checker itself


def test_the_checker_finds_every_kind_of_import_and_says_where() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from slack_sdk.web.async_client import AsyncWebClient\n"
        "import aiohttp.web, storage.models\n"
        "from ..bot import app\n"
        "from . import views\n"
        "def later():\n"
        "    import importlib\n"
        "    return importlib.import_module('botbuilder.core')\n"
    )
    assert imported_modules(source, "handlers.sub.mod") == [
        (1, "__future__"),
        (2, "typing"),
        (4, "slack_sdk.web.async_client"),
        (5, "aiohttp.web"),
        (5, "storage.models"),
        (6, "handlers.bot"),
        (7, "handlers.sub"),
        (9, "importlib"),
        (10, "botbuilder.core"),
    ]
    assert broken_rules(Path("handlers/example.py"), source, FORBIDDEN["handlers"]) == [
        "handlers/example.py:4: imports slack_sdk.web.async_client (handlers/ must not)",
        "handlers/example.py:5: imports aiohttp.web (handlers/ must not)",
        "handlers/example.py:6: imports bot (handlers/ must not)",  # `..` climbs out of handlers
        "handlers/example.py:10: imports botbuilder.core (handlers/ must not)",
    ]
    assert broken_rules(Path("storage/x.py"), "import handlers.router\n", FORBIDDEN["storage"]) == [
        "storage/x.py:1: imports handlers.router (storage/ must not)"
    ]
    assert broken_rules(Path("scheduler/x.py"), "import handlers\n", FORBIDDEN["scheduler"]) == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _names_imported(source: str, module: str) -> set[str]:
    """Modules imported, counting `from package import module` as the module itself."""
    names = {name for _, name in imported_modules(source, module)}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def import_cycles(layer: str) -> list[list[str]]:
    """Cycles among the modules of one layer (a package importing its own submodules,
    as `handlers.concerns` re-exporting them, is not a cycle)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / layer).rglob("*.py")):
        module = _module_name(path)
        graph[module] = {
            name
            for name in _names_imported(path.read_text(), module)
            if name.startswith(layer) and name != module and not name.startswith(module + ".")
        }
    cycles, state = [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for other in sorted(graph.get(module, ())):
            if other not in graph:
                continue
            if state.get(other) == "open":
                cycles.append([*trail[trail.index(other) :], other])
            elif other not in state:
                visit(other, [*trail, other])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


@pytest.mark.parametrize("layer", ["handlers", "scheduler", "storage"])
def test_no_module_imports_another_that_imports_it_back(layer: str) -> None:
    assert import_cycles(layer) == []
