"""The folders tell the architecture; imports must respect it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "azbackup_policy"
POLICIES = REPO / "policies"


# Each part of the package (a top-level module or subpackage; policies/ is
# azbackup_policy.policies) and the parts it may import at run time or for typing. A new
# module must be placed here; an import across the layers is a failure naming both ends.
LAYERS: dict[str, set[str]] = {
    "model": set(),
    "errors": set(),
    "_version": set(),
    "rules": {"model", "matrix"},  # RuleContext.matrix is the typed matrix data
    "document": {"model"},
    "arm_values": {"model"},  # ARM value types shared by parsers and linkers
    "formats": {"parsers"},  # for typing only; parsers are named "module:function"
    "bounded": {"errors"},  # reading files and YAML within limits
    "discover": {"bounded", "errors", "formats"},
    "parsers": {"model", "document", "errors", "discover", "arm_values", "formats"},
    "linkers": {"model", "document", "arm_values"},
    "report": {"model", "document", "rules"},
    "engine": {"matrix", "model", "report", "rules"},
    "hookspecs": {"rules", "formats", "reporters"},  # for typing only
    "authoring": {"matrix", "model", "rules"},  # the public rule kit
    "testing": {"engine", "formats", "matrix", "model", "options", "pipeline", "report",
                "rules"},  # the public test helpers
    "policies": {"model", "rules", "hookspecs", "authoring"},
    "reporters": {"model", "report", "rules"},  # html draws the estate's model
    "plugins": {"errors", "hookspecs", "rules", "formats", "reporters", "linkers"},
    "suppressions": {"model", "document", "report", "rules"},
    "options": {"parsers", "rules", "suppressions"},
    "config": {"bounded", "errors", "rules", "suppressions", "options", "discover"},
    "yaml_rules": {"config", "errors", "model", "rules"},
    "matrix": {"bounded", "errors"},
    "baseline": {"bounded", "errors", "report"},
    "inventory": {"model", "report", "reporters"},  # reporters._safe: one sanitiser
    "progress": {"reporters"},  # reporters._safe: the path on the terminal is escaped
    "ruledocs": {"matrix", "plugins", "rules"},
    "pipeline": {"_version", "baseline", "discover", "document", "engine", "errors", "formats",
                 "linkers", "matrix", "model", "options", "parsers", "plugins", "report",
                 "rules", "suppressions", "yaml_rules"},
    # precommit reads Terraform's module manifest (parsers.hcl.manifest) to find the callers
    # of a changed module, as the pipeline's parsers do to follow them.
    "precommit": {"_version", "discover", "errors", "formats", "options", "parsers", "pipeline",
                  "plugins", "report", "rules"},
    "cli_parser": {"formats", "reporters", "rules"},  # the command line's grammar
    "cli_support": {"cli_parser"},  # the CLI's small decisions
    "completion": {"cli_parser"},  # shell completion scripts from the parser
    "cli": {"_version", "baseline", "config", "errors", "inventory", "pipeline", "plugins",
            "precommit", "progress", "reporters", "ruledocs", "rules", "formats", "cli_parser",
            "cli_support", "completion", "discover"},
    "__main__": {"cli"},
    "": {"_version", "errors", "model", "options", "pipeline", "report", "rules"},  # the API
}

# Import cycles that are allowed, each with its reason (the rest fail the test).
ALLOWED_CYCLES = {
    # A nested Microsoft.Resources/deployments resource is a template inside a template:
    # the recursion is in the domain (deployments imports template lazily).
    frozenset({"azbackup_policy.parsers.arm", "azbackup_policy.parsers.arm.template",
               "azbackup_policy.parsers.arm.deployments"}),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).parts)
    if parts[0] == "policies":  # installed as azbackup_policy.policies
        parts.insert(0, "azbackup_policy")
    parts[-1] = parts[-1].removesuffix(".py")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """``azbackup_policy.parsers.arm.values`` -> ``parsers``; the package itself -> ``""``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else ""


def ours(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in ours(PACKAGE) + ours(POLICIES)}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for sub in node.body for n in ast.walk(sub))
    return skip


def imports_of(module: str, path: Path, *, runtime_only: bool = False) -> set[str]:
    """The modules ``module`` imports (relative imports resolved; ``from pkg import sub``
    counts as ``pkg.sub``); with ``runtime_only``, not those under ``TYPE_CHECKING``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree) if runtime_only else set()
    known = all_modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
    return {m for m in found if m.split(".")[0] == "azbackup_policy" and m != module}


def imported_modules(path: Path) -> set[str]:
    return imports_of(module_name(path), path)


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {part_of(m) for m in all_modules()}
    assert parts <= set(LAYERS), f"place these in LAYERS: {sorted(parts - set(LAYERS))}"
    assert not set(LAYERS) - parts, sorted(set(LAYERS) - parts)


def test_imports_follow_the_layers() -> None:
    bad = []
    for module, path in all_modules().items():
        mine = part_of(module)
        for target in imports_of(module, path):
            theirs = part_of(target)
            if theirs != mine and theirs not in LAYERS[mine]:
                bad.append(f"{path.relative_to(REPO)} ({mine}) imports {target} ({theirs})")
    assert not bad, "\n".join(bad)


def test_model_imports_nothing_of_ours() -> None:
    assert imported_modules(PACKAGE / "model.py") == set()


def test_linkers_do_not_import_parsers() -> None:
    """A linker reads Documents; what it shares with parsers lives in arm_values/document."""
    for path in ours(PACKAGE / "linkers"):
        assert not {m for m in imported_modules(path) if m.startswith("azbackup_policy.parsers")}


def test_config_does_not_import_the_pipeline() -> None:
    assert "azbackup_policy.pipeline" not in imported_modules(PACKAGE / "config.py")


def test_nothing_imports_cli() -> None:
    for path in ours(PACKAGE) + ours(POLICIES):
        if path.name in ("cli.py", "__main__.py"):
            continue
        assert "azbackup_policy.cli" not in imported_modules(path), path


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def test_no_import_cycles() -> None:
    """No cycle among run-time imports (function-level included, TYPE_CHECKING excluded)."""
    modules = all_modules()
    graph = {m: imports_of(m, p, runtime_only=True) & set(modules) for m, p in modules.items()}
    cycles = [sorted(c) for c in _cycles(graph) if c not in ALLOWED_CYCLES]
    assert not cycles, cycles


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [frozenset({"a", "b", "c"})]


def test_import_is_cheap() -> None:
    code = (
        "import sys, azbackup_policy; "
        "heavy = {'jsonschema', 'hcl2', 'lark', 'yaml', 'pluggy'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd="/")
    assert out.stdout.strip() == "[]"


def test_mypy_strict_clean() -> None:
    """Every annotation is checked: the library, the built-in policies and the example plugin."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", os.devnull, "azbackup_policy", "policies", "plugins"],
        capture_output=True, text=True, cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(REPO)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
