"""AST -> ARM template dict (languageVersion 2.0, as ``bicep build`` writes it) plus a
``positions`` map from JSON paths in that dict to :class:`SourceSpan` in the .bicep
files.

A JSON path is a tuple of keys and list indexes: ``("resources", "vm", "properties",
"hardwareProfile", "vmSize")``. Every parameter, variable, resource, module, output,
property and list item gets one. A property path maps to the span of the whole
``key: value``; a resource maps to its whole declaration.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from azbackup_policy.document import NotFollowed
from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan
from azbackup_policy.parsers.arm.jsonc import span_maker
from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.compile_expr import (
    Env,
    ExprCompiler,
    ResInfo,
    Symbols,
    literal_of,
    quote,
)
from azbackup_policy.parsers.bicep.compile_time import compile_time
from azbackup_policy.parsers.bicep.compile_types import apply_decorators, schema
from azbackup_policy.parsers.bicep.lexer import LineIndex

Json = Any
JsonPath = tuple[str | int, ...]
RawSpan = tuple[str, list[int], int, int]  # file, line starts, start and end offsets


class Positions(Mapping[JsonPath, SourceSpan]):
    """JSON path -> span, with each :class:`SourceSpan` built only when it is asked for
    (most never are, and building them all costs a quarter of the compile time)."""

    __slots__ = ("_built", "_make", "_raw")

    def __init__(self) -> None:
        self._raw: dict[JsonPath, RawSpan] = {}
        self._built: dict[JsonPath, SourceSpan] = {}
        self._make = span_maker()

    def put(self, path: JsonPath, raw: RawSpan) -> None:
        self._raw[path] = raw
        self._built.pop(path, None)

    def __getitem__(self, path: JsonPath) -> SourceSpan:
        span: SourceSpan | None = self.get(path)
        if span is None:
            raise KeyError(path)
        return span

    def get(self, path: JsonPath, default: Any = None) -> Any:
        """As ``Mapping.get``, without raising and catching KeyError for a missing path."""
        span = self._built.get(path)
        if span is not None:
            return span
        raw = self._raw.get(path)
        if raw is None:
            return default
        file, starts, pos, end = raw
        line = bisect_right(starts, pos)
        end_line = bisect_right(starts, end - 1, line - 1) if end > pos else line
        span = self._built[path] = self._make(file, line, end_line, pos - starts[line - 1] + 1)
        return span

    def __contains__(self, path: object) -> bool:
        return path in self._raw

    def __iter__(self) -> Iterator[JsonPath]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

SCHEMAS = {
    "resourceGroup": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "subscription": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
    "managementGroup": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
    "tenant": "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#",
}


@dataclass(slots=True)
class Unit:
    """One parsed .bicep file as the emitter needs it."""

    program: ast.Program
    file: str  # display path
    real_path: str  # for module resolution and cycle detection
    lines: LineIndex


@dataclass(slots=True)
class Shared:
    """State shared by a file and the modules it pulls in."""

    positions: Positions = field(default_factory=Positions)
    not_followed: list[NotFollowed] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # Declarations that could not be parsed or compiled: reported, the rest still read.
    problems: list[InputError] = field(default_factory=list)
    # Those of them that were resources or modules: what they declare is unknown.
    hidden: list[InputError] = field(default_factory=list)
    # loadTextContent/loadJsonContent/loadFileAsBase64: (calling unit, path as written,
    # offset, binary) -> text, or bytes when binary
    read_file: Any = None


def literal_json(value: object) -> Json:
    if isinstance(value, str) and value.startswith("["):
        return "[" + value
    return value


class ValueEmitter(ExprCompiler):
    """JSON values with positions; the template emitter builds on it."""

    def __init__(self, unit: Unit, shared: Shared, prefix: JsonPath) -> None:
        super().__init__(Symbols())
        self.unit = unit
        self.shared = shared
        self.prefix = prefix

    def span(self, pos: int, end: int) -> SourceSpan:
        starts = self.unit.lines.starts
        line = bisect_right(starts, pos)
        end_line = bisect_right(starts, end - 1, line - 1) if end > pos else line
        return SourceSpan(self.unit.file, line, end_line, pos - starts[line - 1] + 1)

    def mark(self, path: JsonPath, pos: int, end: int) -> None:
        self.shared.positions.put(self.prefix + path,
                                  (self.unit.file, self.unit.lines.starts, pos, end))

    def compile_time(self, node: ast.Call) -> str | None:
        reader = self.shared.read_file
        unit = self.unit

        def read(path: str, pos: int, binary: bool) -> str | bytes | None:
            found: str | bytes | None = reader(unit, path, pos, binary)
            return found

        return compile_time(node, None if reader is None else read, unit.file,
                            unit.lines.position)

    def undeclared(self, node: ast.Name) -> str:
        if not self.sym.strict:
            return super().undeclared(node)
        line, column = self.unit.lines.position(node.pos)
        raise InputError(self.unit.file, line, column, f"'{node.name}' is not declared")

    def expression(self, node: ast.Expr, env: Env) -> Json:
        text = self.text(node, env)
        if text[:1] == "'" and text[-1:] == "'":
            literal = literal_of(text)
            if literal is not None:
                return literal_json(literal)
        return "[" + text + "]"

    def value(self, node: ast.Expr, env: Env, path: JsonPath) -> Json:
        kind = type(node)
        if kind is ast.Literal:
            return literal_json(node.value)  # type: ignore[union-attr]
        if kind is ast.Object and self.plain_object(node):  # type: ignore[arg-type]
            return self.object_value(node, env, path)  # type: ignore[arg-type]
        if kind is ast.Array and not any(type(i) is ast.Spread for i in node.items):  # type: ignore[union-attr]
            out = []
            for n, item in enumerate(node.items):  # type: ignore[union-attr]
                self.mark((*path, n), item.pos, item.end)
                out.append(self.value(item, env, (*path, n)))
            return out
        return self.expression(node, env)

    @staticmethod
    def plain_object(node: ast.Object) -> bool:
        return all(type(p) is ast.Prop and type(p.key) is str for p in node.props)

    def object_value(self, node: ast.Object, env: Env, path: JsonPath,
                     skip: tuple[str, ...] = ()) -> dict[str, Json]:
        out: dict[str, Json] = {}
        for prop in node.props:
            assert isinstance(prop, ast.Prop)
            key = prop.key
            if key in skip:
                continue
            assert isinstance(key, str)
            self.mark((*path, key), prop.pos, prop.end)
            if type(prop.value) is ast.For and prop.value.condition is None:
                self.property_copy(out, key, prop.value, env, path)
            else:
                out[key] = self.value(prop.value, env, (*path, key))
        return out

    def property_copy(self, out: dict[str, Json], key: str, loop: ast.For, env: Env,
                      path: JsonPath) -> None:
        copies = out.setdefault("copy", [])
        where = (*path, "copy", len(copies))
        self.mark(where, loop.pos, loop.end)
        inner = self.loop_env(loop, env, f"copyIndex({quote(key)})")
        entry = {"name": key, "count": self.count(loop, env),
                 "input": self.value(loop.body, inner, (*where, "input"))}
        self.mark((*where, "input"), loop.body.pos, loop.body.end)
        copies.append(entry)

    def loop_env(self, loop: ast.For, env: Env, index: str) -> dict[str, str]:
        inner = dict(env)
        collection = self.text(loop.iterable, env)
        if loop.item is not None:
            inner[loop.item] = f"{collection}[{index}]"
        if loop.index is not None:
            inner[loop.index] = index
        return inner

    def count(self, loop: ast.For, env: Env) -> str:
        return f"[length({self.text(loop.iterable, env)})]"

    def static(self, node: ast.Expr) -> Json:
        """A decorator argument or metadata value (no local names)."""
        kept = self.shared.positions
        self.shared.positions = Positions()
        try:
            return self.value(node, {}, ())
        finally:
            self.shared.positions = kept


class DeclarationEmitter(ValueEmitter):
    """Parameters, variables, types, functions, metadata and outputs."""

    def param(self, decl: ast.Decl) -> dict[str, Json]:
        out = apply_decorators(schema(decl.type, self.static), decl.decorators, self.static)
        self.mark(("parameters", decl.name), decl.pos, decl.end)
        if decl.value is not None:
            path = ("parameters", decl.name, "defaultValue")
            self.mark(path, decl.value.pos, decl.value.end)
            out["defaultValue"] = self.value(decl.value, {}, path)
        return out

    def variable(self, decl: ast.Decl, variables: dict[str, Json]) -> None:
        assert decl.value is not None
        self.mark(("variables", decl.name), decl.pos, decl.end)
        value = decl.value
        if type(value) is ast.For and value.condition is None:
            copies = variables.setdefault("copy", [])
            inner = self.loop_env(value, {}, f"copyIndex({quote(decl.name)})")
            copies.append({"name": decl.name, "count": self.count(value, {}),
                           "input": self.value(value.body, inner,
                                               ("variables", "copy", len(copies), "input"))})
            return
        variables[decl.name] = self.value(value, {}, ("variables", decl.name))

    def output(self, decl: ast.Decl) -> dict[str, Json]:
        assert decl.value is not None
        out = apply_decorators(schema(decl.type, self.static), decl.decorators, self.static)
        self.mark(("outputs", decl.name), decl.pos, decl.end)
        value = decl.value
        if type(value) is ast.For and value.condition is None:
            inner = self.loop_env(value, {}, "copyIndex()")
            out["copy"] = {"count": self.count(value, {}),
                           "input": self.value(value.body, inner, ("outputs", decl.name))}
            return out
        out["value"] = self.value(value, {}, ("outputs", decl.name, "value"))
        return out

    def function(self, decl: ast.FuncDecl) -> dict[str, Json]:
        env = {name: f"parameters('{name}')" for name, _ in decl.params}
        return {
            "parameters": [{"name": name, **schema(t, self.static)} for name, t in decl.params],
            "output": {**schema(decl.returns, self.static),
                       "value": self.expression(decl.body, env)},
        }

    def definition(self, decl: ast.Decl) -> dict[str, Json]:
        return apply_decorators(schema(decl.type, self.static), decl.decorators, self.static)


__all__ = [
    "SCHEMAS", "DeclarationEmitter", "Json", "JsonPath", "Positions", "ResInfo", "Shared",
    "Unit", "literal_of",
]
