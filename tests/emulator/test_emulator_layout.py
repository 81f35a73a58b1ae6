"""The emulator's layout stays a layered package without import cycles.

Every module of ``src/monday_emulator`` is parsed (never imported) and every import
statement counts: module level, inside functions, under ``if TYPE_CHECKING:``. A cycle
anywhere fails, and so does an import that reaches up a layer (the store importing the
GraphQL layer, anything below ``state.py`` importing it, ...). The benchmarks must not
borrow from the tests either.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import REPO_ROOT

PACKAGE = "monday_emulator"
PACKAGE_DIR = REPO_ROOT / "src" / PACKAGE
BENCH_DIR = REPO_ROOT / "bench"

# Lower layers never import higher ones. Within a layer, modules import each other
# only inside one subpackage (the shared top-level modules of layer 0 excepted), so
# the store and the limits know nothing of each other.
LAYERS: dict[str, int] = {
    f"{PACKAGE}.clock": 0,
    f"{PACKAGE}.errors": 0,
    f"{PACKAGE}.settings": 0,
    f"{PACKAGE}.strict_json": 0,
    f"{PACKAGE}.store": 1,
    f"{PACKAGE}.limits": 1,
    f"{PACKAGE}.bulk": 2,  # bulk import jobs: on the store, under the GraphQL layer
    f"{PACKAGE}.graphql_api": 3,
    f"{PACKAGE}.state": 4,
    f"{PACKAGE}.admin": 5,
    f"{PACKAGE}.replies": 6,
    f"{PACKAGE}.api_run": 7,
    f"{PACKAGE}.server": 8,
    f"{PACKAGE}.threaded": 9,
    f"{PACKAGE}.cli": 9,
    f"{PACKAGE}.__main__": 10,
    PACKAGE: 11,  # __init__.py: the public API, imports whatever it re-exports
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules() -> dict[str, Path]:
    root = PACKAGE_DIR.parent
    return {module_name(p, root): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def imported_names(path: Path, name: str) -> Iterator[tuple[str, list[str]]]:
    """(absolute module, names taken from it) for every import statement in the file,
    wherever it sits."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target, [alias.name for alias in node.names]


def import_graph() -> dict[str, set[str]]:
    """module -> the package's modules it imports. ``from pkg import x`` points at the
    module ``pkg.x`` when there is one, else at ``pkg`` (its ``__init__``)."""
    modules = package_modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, names in imported_names(path, name):
            if target != PACKAGE and not target.startswith(PACKAGE + "."):
                continue
            for imported in names or [""]:
                full = f"{target}.{imported}" if imported else target
                graph[name].add(full if full in modules else target)
    for name, targets in graph.items():
        unknown = targets - set(modules)
        assert not unknown, f"{name} imports {sorted(unknown)}, which is not a module here"
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module, or a module that
    imports itself (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return found


def layer_of(module: str) -> tuple[str, int]:
    """(the LAYERS entry a module belongs to, its layer)."""
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to docs/emulator.md)")


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from . import errors\n"
        "from .store.model import Board\n"
        "import monday_emulator.clock\n"
        "if TYPE_CHECKING:\n"
        "    from .state import EmulatorState\n"
        "def f():\n"
        "    from .settings import EmulatorSettings\n"
    )
    path = tmp_path / "probe.py"
    path.write_text(source)
    found = dict(imported_names(path, f"{PACKAGE}.probe"))
    assert found[f"{PACKAGE}"] == ["errors"]
    assert f"{PACKAGE}.store.model" in found
    assert f"{PACKAGE}.clock" in found
    assert found[f"{PACKAGE}.state"] == ["EmulatorState"]  # under TYPE_CHECKING
    assert found[f"{PACKAGE}.settings"] == ["EmulatorSettings"]  # inside a function


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_package_has_no_import_cycle() -> None:
    found = cycles(import_graph())
    assert not found, "import cycles in monday_emulator: " + "; ".join(
        " <-> ".join(c) for c in found
    )


def test_imports_only_reach_down_the_layers() -> None:
    wrong = []
    for module, targets in import_graph().items():
        group, layer = layer_of(module)
        for target in targets:
            target_group, target_layer = layer_of(target)
            if target_layer > layer or (
                target_layer == layer and target_group != group and layer != 0
            ):
                wrong.append(f"{module} (layer {layer}) imports {target} (layer {target_layer})")
    assert not wrong, "\n".join(wrong)


def test_every_subpackage_is_documented() -> None:
    """docs/emulator.md's Layout section names every module, by its path in the
    package (``store/columns.py``)."""
    text = (REPO_ROOT / "docs" / "emulator.md").read_text("utf-8")
    layout = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    missing = [
        str(path.relative_to(PACKAGE_DIR))
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if path.name != "__init__.py" and str(path.relative_to(PACKAGE_DIR)) not in layout
    ]
    assert not missing, f"docs/emulator.md ## Layout does not list {missing}"


@pytest.mark.parametrize("forbidden", ["sync_order_list", "tests"])
def test_the_emulator_never_imports_the_pipeline_or_the_tests(forbidden: str) -> None:
    for name, path in package_modules().items():
        for target, _ in imported_names(path, name):
            assert target != forbidden and not target.startswith(forbidden + "."), (
                f"{path.relative_to(REPO_ROOT)} imports {target}"
            )


def test_the_benchmarks_do_not_import_the_tests() -> None:
    files = sorted(BENCH_DIR.rglob("*.py"))
    assert files, "no benchmarks found"
    for path in files:
        for target, _ in imported_names(path, module_name(path, REPO_ROOT)):
            root = target.split(".")[0]
            assert root != "tests", f"{path.relative_to(REPO_ROOT)} imports {target}"
