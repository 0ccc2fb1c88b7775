"""The floor plan, checked: each layer imports only what lies below it, and the domain is pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "functions" / "ceilingwatch"

# Top to bottom. A module may import its own layer and any layer below it, never one above.
LAYERS = ["entry", "bootstrap", "services", "outside", "domain", "common"]
ROOMS = {
    "cli": "entry",
    "handler": "entry",
    "interactions": "entry",
    "fanout": "entry",
    "webhook": "entry",
    "bootstrap": "bootstrap",
    "services": "services",
    "channels": "outside",
    "adapters": "outside",
    "sources": "outside",
    "domain": "domain",
    "common": "common",
}
WIRE_LIBRARIES = {"boto3", "botocore", "requests", "urllib3"}
# Known departures, each to be mended; the test fails when one is mended and left listed.
SERVICE_EXCEPTIONS: set[tuple[str, str]] = set()
MAX_LINES = 300
ENTRY_POINTS = {"handler.py", "interactions.py", "webhook.py", "fanout.py"}
MAX_TOP_LEVEL_MODULES = 12


def _modules() -> list[Path]:
    return sorted(
        p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE
    )


def _room(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "ceilingwatch":
                found += [f"ceilingwatch.{alias.name}" for alias in node.names]
            else:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


def _where(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_every_module_lives_in_a_known_room() -> None:
    unknown = {_where(p) for p in _modules() if _room(p) not in ROOMS}
    assert not unknown, f"give these a layer in ROOMS: {sorted(unknown)}"


def _runs_up(room: str, name: str) -> bool:
    parts = name.split(".")
    if parts[0] != "ceilingwatch" or len(parts) < 2:
        return False
    target = ROOMS.get(parts[1])
    return target is not None and LAYERS.index(target) < LAYERS.index(ROOMS[room])


def test_no_import_runs_up_the_layers() -> None:
    upward = {(_where(p), n) for p in _modules() for n in _imports(p) if _runs_up(_room(p), n)}
    assert upward == set(), f"imports that run up the layers: {sorted(upward)}"


def test_services_see_ports_not_adapters() -> None:
    concrete = {
        (_where(p), n)
        for p in (PACKAGE / "services").rglob("*.py")
        for n in _imports(p)
        if n.startswith(("ceilingwatch.adapters", "ceilingwatch.channels", "ceilingwatch.sources"))
    }
    assert concrete == SERVICE_EXCEPTIONS, "a service takes a port from domain.ports instead"


def test_channels_and_adapters_do_not_import_each_other() -> None:
    sideways = set()
    for path in _modules():
        room = _room(path)
        if ROOMS.get(room) != "outside":
            continue
        for name in _imports(path):
            parts = [*name.split("."), ""]
            if parts[0] == "ceilingwatch" and ROOMS.get(parts[1]) == "outside" and parts[1] != room:
                sideways.add((_where(path), name))
    assert not sideways


@pytest.mark.parametrize("room", ["domain", "common", "services"])
def test_only_channels_and_adapters_speak_a_wire(room: str) -> None:
    speaking = {
        (_where(p), n)
        for p in (PACKAGE / room).rglob("*.py")
        for n in _imports(p)
        if n.split(".")[0] in WIRE_LIBRARIES
    }
    assert not speaking


def test_the_domain_reads_no_environment_and_no_clock() -> None:
    impure = set()
    for path in (PACKAGE / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            text = ast.unparse(node) if isinstance(node, ast.Attribute | ast.Call) else ""
            if isinstance(node, ast.Attribute) and text in {"os.environ", "os.getenv"}:
                impure.add((_where(path), text))
            if isinstance(node, ast.Call) and text.split("(")[0].endswith(
                ("datetime.now", "datetime.utcnow", "time.time", "time.monotonic", "date.today")
            ):
                impure.add((_where(path), text.split("(")[0]))
    assert not impure


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    """Which of the package's modules each imports, wherever the import stands (a function's
    body and a TYPE_CHECKING block count: a cycle there is a tangle all the same)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{alias.name}" for alias in node.names}
                found |= (subs & modules.keys()) or {node.module}
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
        graph[name] = (found & modules.keys()) - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle, as the modules it passes through, or [] when there is none."""
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> list[str]:
        if name in path:
            return [*path[path.index(name) :], name]
        if name in done:
            return []
        for target in sorted(graph[name]):
            if found := visit(target, [*path, name]):
                return found
        done.add(name)
        return []

    for start in sorted(graph):
        if found := visit(start, []):
            return found
    return []


def test_no_import_cycles() -> None:
    assert _cycle(_graph()) == [], "an import cycle"


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_the_top_level_holds_few_modules_besides_the_entry_points() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ENTRY_POINTS)
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_no_module_is_past_300_lines() -> None:
    long = {_where(p) for p in _modules() if len(p.read_text().splitlines()) > MAX_LINES}
    assert not long, "split a long module where the domain splits"


@pytest.mark.parametrize(
    ("room", "name", "up"),
    [
        ("domain", "ceilingwatch.services.monitor", True),
        ("channels", "ceilingwatch.bootstrap", True),
        ("services", "ceilingwatch.domain.alerts", False),
        ("common", "ceilingwatch.domain.config", True),
        ("cli", "ceilingwatch.services.monitor", False),
    ],
)
def test_the_rule_tells_up_from_down(room: str, name: str, up: bool) -> None:
    assert _runs_up(room, name) is up


MAX_FUNCTION_LINES = 45  # "about 40": a function longer than a screen's half is two jobs


def test_no_function_is_past_about_40_lines() -> None:
    long = {
        f"{_where(p)}:{node.name} ({node.end_lineno - node.lineno + 1})"
        for p in _modules()
        for node in ast.walk(ast.parse(p.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    }
    assert not long, f"split these into named steps: {sorted(long)}"


def _dataclass_decorators(path: Path) -> list[str]:
    return [
        ast.unparse(decorator)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        for decorator in node.decorator_list
        if "dataclass" in ast.unparse(decorator)
    ]


def test_records_are_declared_with_record_not_compiled_per_class() -> None:
    # @dataclass compiles each class's methods at import (0.66 ms a frozen one on the bench's
    # machine); @record shares them.
    compiled = {f"{_where(p)}: @{d}" for p in _modules() for d in _dataclass_decorators(p)}
    assert not compiled, f"declare these with ceilingwatch.common.records.record: {compiled}"
