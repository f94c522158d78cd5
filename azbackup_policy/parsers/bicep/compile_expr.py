"""Bicep expressions -> ARM template expression text, the way ``bicep build`` writes it.

``text(node, env)`` returns the body of an ARM expression (``format('vm-{0}',
parameters('n'))``); ``env`` maps local names (loop and lambda variables, function
parameters) to the ARM text that replaces them. Symbol lookups (params, vars,
resources, modules) go through the :class:`Symbols` the template emitter fills.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.compile_time import NAMES as COMPILE_TIME

Env = Mapping[str, str]

_BINARY = {
    "&&": "and", "||": "or", "==": "equals", "<": "less", "<=": "lessOrEquals",
    ">": "greater", ">=": "greaterOrEquals", "+": "add", "-": "sub", "*": "mul",
    "/": "div", "%": "mod", "??": "coalesce",
}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
NAMESPACES = frozenset({"sys", "az"})
_SELF_PROPS = ("id", "name", "type", "apiVersion")


_LITERAL_TEXT = re.compile(r"'((?:[^']|'')*)'\Z")


def literal_of(text: str) -> str | None:
    """The string an ARM string literal (``'it''s'``) stands for, else None."""
    match = _LITERAL_TEXT.match(text)
    return match.group(1).replace("''", "'") if match else None


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def literal_text(value: object) -> str:
    if value is None:
        return "null()"
    if value is True:
        return "true()"
    if value is False:
        return "false()"
    if isinstance(value, str):
        return quote(value)
    return str(value)


def call(name: str, *args: str) -> str:
    return f"{name}({', '.join(args)})"


@dataclass(slots=True)
class ResInfo:
    """What other expressions need to know about a resource or module symbol."""

    key: str  # symbolic name in the compiled template (``vault::policy`` for children)
    type: str
    api_version: str
    segments: list[str]  # ARM texts of the name segments
    looped: bool = False
    existing: bool = False
    scope_args: list[str] = field(default_factory=list)  # resourceId() prefix (sub, rg)
    extension_of: str | None = None  # id text of the resource an extension resource sits on
    scope_of: str | None = None  # the relative scope text bicep writes for ``scope: vm``
    module: bool = False
    full_name: str | None = None  # the name as written when it was split into segments
    own_name: str | None = None  # a child's own name: what ``child.name`` gives in Bicep
    deps: set[str] = field(default_factory=set)  # symbols its name, parent or scope use

    def name_text(self) -> str:
        if self.full_name is not None:
            return self.full_name
        if len(self.segments) == 1:
            return self.segments[0]
        literals = [literal_of(segment) for segment in self.segments]
        if all(part is not None for part in literals):
            return quote("/".join(literals))  # type: ignore[arg-type]
        slots = "/".join(f"{{{i}}}" for i in range(len(self.segments)))
        return call("format", quote(slots), *self.segments)

    def id_text(self) -> str:
        if self.extension_of is not None:
            return call("extensionResourceId", self.extension_of, quote(self.type),
                        *self.segments)
        return call("resourceId", *self.scope_args, quote(self.type), *self.segments)


def at_index(text: str, index: str | None) -> str:
    """A looped resource's text for instance ``index`` (its loop's ``copyIndex()``)."""
    return text if index is None else text.replace("copyIndex()", index)


class Symbols:
    """Declared names of one file; resource infos are built lazily by the emitter."""

    def __init__(self) -> None:
        self.params: set[str] = set()
        self.vars: set[str] = set()
        self.funcs: set[str] = set()
        self.namespaces: set[str] = set(NAMESPACES)
        self.resource_symbols: dict[str, str] = {}  # plain or parent::child -> key
        self.refs: set[str] | None = None
        self.opaque: set[str] = set()  # names imported from a registry (never read)
        self.failed: set[str] = set()  # names of declarations that could not be parsed
        self.wildcards: dict[str, bool] = {}  # ``import * as ns``: ns -> followed locally
        self.strict = True  # an undeclared name is an error (False inside imported files)

    def resource(self, symbol: str, /) -> ResInfo | None:  # the emitter overrides this
        return None


@dataclass(slots=True)
class ResRef:
    """A resource symbol in an expression, possibly indexed (``vm[i]``)."""

    info: ResInfo
    index: str | None = None


class ExprCompiler:
    def __init__(self, symbols: Symbols) -> None:
        self.sym = symbols

    # ------------------------------------------------------------ resources
    def resource_ref(self, node: ast.Expr, env: Env) -> ResRef | None:
        if isinstance(node, ast.Name) and node.name not in env:
            key = self.sym.resource_symbols.get(node.name)
            info = self.sym.resource(key) if key else None
            return ResRef(info) if info else None
        if isinstance(node, ast.ChildAccess):
            parent = self.resource_ref(node.obj, env)
            if parent is None:
                return None
            key = self.sym.resource_symbols.get(f"{parent.info.key}::{node.name}")
            info = self.sym.resource(key) if key else None
            return ResRef(info, parent.index) if info else None
        if isinstance(node, ast.Index) and not node.safe:
            base = self.resource_ref(node.obj, env)
            if base is not None and base.info.looped and base.index is None:
                return ResRef(base.info, self.text(node.index, env))
        return None

    def note_ref(self, info: ResInfo) -> None:
        if self.sym.refs is not None:
            self.sym.refs.add(info.key)

    def ref_text(self, ref: ResRef) -> str:
        """A bare resource symbol used as a value: its full reference object."""
        self.note_ref(ref.info)
        return call("reference", quote(ref.info.key), quote(ref.info.api_version), "'full'")

    def member_of_ref(self, ref: ResRef, name: str) -> str:
        info = ref.info
        self.note_ref(info)
        if name == "id":
            return at_index(info.id_text(), ref.index)
        if name == "name":
            return at_index(info.own_name or info.name_text(), ref.index)
        if name == "type":
            return quote(info.type)
        if name == "apiVersion":
            return quote(info.api_version)
        key = quote(info.key) if ref.index is None else call(
            "format", quote(info.key + "[{0}]"), ref.index)
        if name == "properties" or (info.module and name == "outputs"):
            suffix = "" if name == "properties" else ".outputs"
            return call("reference", key) + suffix
        return call("reference", key, quote(info.api_version), "'full'") + "." + name

    # ------------------------------------------------------------ expressions
    def text(self, node: ast.Expr, env: Env) -> str:
        method = getattr(self, "t_" + type(node).__name__)
        result: str = method(node, env)
        return result

    def t_Literal(self, node: ast.Literal, env: Env) -> str:
        return literal_text(node.value)

    def t_Template(self, node: ast.Template, env: Env) -> str:
        fmt: list[str] = []
        args: list[str] = []
        for part in node.parts:
            if isinstance(part, str):
                fmt.append(part.replace("{", "{{").replace("}", "}}"))
            else:
                fmt.append(f"{{{len(args)}}}")
                args.append(self.text(part, env))
        return call("format", quote("".join(fmt)), *args)

    def t_Name(self, node: ast.Name, env: Env) -> str:
        name = node.name
        if name in env:
            return env[name]
        if name in self.sym.params:
            return call("parameters", quote(name))
        if name in self.sym.vars:
            return call("variables", quote(name))
        ref = self.resource_ref(node, env)
        if ref is not None:
            return self.ref_text(ref)
        if name in self.sym.opaque:
            return call("__bicep_imported", quote(name))
        if name in self.sym.failed:  # reported where it is declared; unknown here
            return call("__bicep_not_parsed", quote(name))
        return self.undeclared(node)

    def undeclared(self, node: ast.Name) -> str:
        return call("variables", quote(node.name))

    def t_Member(self, node: ast.Member, env: Env) -> str:
        if not node.safe:
            special = self.member_special(node, env)
            if special is not None:
                return special
        obj = self.text(node.obj, env)
        if node.safe:
            return call("tryGet", obj, quote(node.name))
        if _IDENT.match(node.name):
            return f"{obj}.{node.name}"
        return f"{obj}[{quote(node.name)}]"

    def member_special(self, node: ast.Member, env: Env) -> str | None:
        obj = node.obj
        if type(obj) is ast.Name and obj.name in self.sym.wildcards and obj.name not in env:
            if self.sym.wildcards[obj.name]:
                return call("variables", quote(node.name))
            return call("__bicep_imported", quote(f"{obj.name}.{node.name}"))
        ref = self.resource_ref(node.obj, env)
        if ref is not None:
            return self.member_of_ref(ref, node.name)
        inner = node.obj
        if isinstance(inner, ast.Member) and inner.name == "outputs" and not inner.safe:
            module = self.resource_ref(inner.obj, env)
            if module is not None and module.info.module:
                return self.member_of_ref(module, "outputs") + f".{node.name}.value"
        return None

    def t_Index(self, node: ast.Index, env: Env) -> str:
        ref = self.resource_ref(node, env)
        if ref is not None:
            return self.ref_text(ref)
        obj, index = self.text(node.obj, env), self.text(node.index, env)
        if node.safe:
            return call("tryGet", obj, index)
        return f"{obj}[{index}]"

    def t_ChildAccess(self, node: ast.ChildAccess, env: Env) -> str:
        ref = self.resource_ref(node, env)
        if ref is not None:
            return self.ref_text(ref)
        return self.text(node.obj, env)

    def t_NonNull(self, node: ast.NonNull, env: Env) -> str:
        return self.text(node.value, env)

    def t_Unary(self, node: ast.Unary, env: Env) -> str:
        inner = self.text(node.value, env)
        if node.op == "!":
            return call("not", inner)
        return call("sub", "0", inner) if node.op == "-" else inner

    def t_Binary(self, node: ast.Binary, env: Env) -> str:
        left, right = self.text(node.left, env), self.text(node.right, env)
        op = node.op
        if op in _BINARY:
            return call(_BINARY[op], left, right)
        if op == "!=":
            return call("not", call("equals", left, right))
        folded = call("equals", call("toLower", left), call("toLower", right))
        return folded if op == "=~" else call("not", folded)

    def t_Ternary(self, node: ast.Ternary, env: Env) -> str:
        return call("if", self.text(node.cond, env), self.text(node.then, env),
                    self.text(node.other, env))

    def t_Call(self, node: ast.Call, env: Env) -> str:
        if node.name in COMPILE_TIME and node.target is None:
            done = self.compile_time(node)
            if done is not None:
                return done
        args = [self.text(arg, env) for arg in node.args]
        if node.target is not None:
            return self.method_call(node, args, env)
        if node.name in self.sym.funcs:
            return call(f"__bicep.{node.name}", *args)
        if node.name == "any" and len(args) == 1:
            return args[0]
        return call(node.name, *args)

    def compile_time(self, node: ast.Call) -> str | None:  # the emitter knows the file
        return None

    def method_call(self, node: ast.Call, args: list[str], env: Env) -> str:
        target = node.target
        if isinstance(target, ast.Name) and target.name in self.sym.namespaces \
                and target.name not in env:
            if target.name not in NAMESPACES and node.name in self.sym.funcs:
                return call(f"__bicep.{node.name}", *args)
            return self.t_Call(ast.Call(node.name, node.args, node.pos, node.end), env)
        ref = self.resource_ref(target, env) if target is not None else None
        if ref is not None:
            return call(node.name, self.member_of_ref(ref, "id"), quote(ref.info.api_version),
                        *args)
        return call(node.name, *args)

    def t_Array(self, node: ast.Array, env: Env) -> str:
        if not any(isinstance(item, ast.Spread) for item in node.items):
            return call("createArray", *(self.text(item, env) for item in node.items))
        chunks = []
        for item in node.items:
            if isinstance(item, ast.Spread):
                chunks.append(self.text(item.value, env))
            else:
                chunks.append(call("createArray", self.text(item, env)))
        return call("flatten", call("createArray", *chunks))

    def t_Object(self, node: ast.Object, env: Env) -> str:
        chunks: list[str] = []
        pending: list[str] = []
        for prop in node.props:
            if isinstance(prop, ast.Spread):
                if pending:
                    chunks.append(call("createObject", *pending))
                    pending = []
                chunks.append(self.text(prop.value, env))
                continue
            key = prop.key
            pending.append(quote(key) if isinstance(key, str) else self.text(key, env))
            pending.append(self.text(prop.value, env))
        if not chunks:
            return call("createObject", *pending)
        if pending:
            chunks.append(call("createObject", *pending))
        return call("shallowMerge", call("createArray", *chunks))

    def t_Lambda(self, node: ast.Lambda, env: Env) -> str:
        inner = dict(env)
        for name in node.params:
            inner[name] = call("lambdaVariables", quote(name))
        body = self.text(node.body, inner)
        return call("lambda", *(quote(name) for name in node.params), body)

    def t_For(self, node: ast.For, env: Env) -> str:
        """A loop inside an expression: ``map(filter(...), lambda(...))``."""
        names = [n for n in (node.item, node.index) if n is not None]
        inner = dict(env)
        for name in names:
            inner[name] = call("lambdaVariables", quote(name))
        collection = self.text(node.iterable, env)
        if node.condition is not None:
            cond = self.text(node.condition, inner)
            collection = call("filter", collection, call("lambda", *map(quote, names), cond))
        body = self.text(node.body, inner)
        return call("map", collection, call("lambda", *map(quote, names), body))

    def t_IfValue(self, node: ast.IfValue, env: Env) -> str:
        return self.text(node.body, env)

    def t_Spread(self, node: ast.Spread, env: Env) -> str:
        return self.text(node.value, env)
