"""One Bicep file -> one ARM template (resources, modules and the whole document)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.compile_expr import ResInfo, call, quote
from azbackup_policy.parsers.bicep.emit import (
    SCHEMAS,
    DeclarationEmitter,
    Json,
    JsonPath,
    Shared,
    Unit,
    literal_of,
)
from azbackup_policy.parsers.bicep.imports import ImportLoader, declare_imports, inline_imports

DEPLOYMENTS = "Microsoft.Resources/deployments"
DEPLOYMENTS_API = "2022-09-01"
COMMENT_KEY = "comments"  # ARM's own free-text resource property
_RESERVED = ("name", "parent", "scope", "dependsOn")

# (emitter, module declaration, symbolic key) -> the module's compiled template or None
ModuleFollower = Callable[["TemplateEmitter", ast.ModuleDecl, str], "dict[str, Json] | None"]


def find_prop(body: ast.Object, key: str) -> ast.Prop | None:
    for prop in body.props:
        if type(prop) is ast.Prop and prop.key == key:
            return prop
    return None


class TemplateEmitter(DeclarationEmitter):
    def __init__(self, unit: Unit, shared: Shared, prefix: JsonPath,
                 follow: ModuleFollower, load_import: ImportLoader | None = None) -> None:
        super().__init__(unit, shared, prefix)
        self.follow = follow
        self.load_import = load_import
        self.entries: dict[str, tuple[ast.ResourceDecl | ast.ModuleDecl, str | None]] = {}
        self.infos: dict[str, ResInfo] = {}
        self.building: set[str] = set()
        self.order: dict[str, int] = {}
        self.sym.resource = self.resource_info  # type: ignore[method-assign]

    def error(self, pos: int, message: str) -> InputError:
        line, column = self.unit.lines.position(pos)
        return InputError(self.unit.file, line, column, message)

    def release(self) -> None:
        """Break the cycle ``self.sym.resource`` -> ``self`` once the template is built."""
        self.sym.__dict__.pop("resource", None)

    # ------------------------------------------------------------ symbols
    def collect(self) -> None:
        program = self.unit.program
        self.sym.failed.update(program.failed_names)
        for error, keyword in zip(program.errors, program.failed_kinds, strict=True):
            hides = keyword in ("resource", "module", "")  # may have declared a resource
            (self.shared.hidden if hides else self.shared.problems).append(error)
        for statement in self.unit.program.statements:
            if isinstance(statement, ast.Decl):
                if statement.kind == "param":
                    self.sym.params.add(statement.name)
                elif statement.kind == "var":
                    self.sym.vars.add(statement.name)
            elif isinstance(statement, ast.FuncDecl):
                self.sym.funcs.add(statement.name)
            elif isinstance(statement, ast.ImportDecl) and statement.wildcard:
                self.sym.namespaces.add(statement.wildcard)
            elif isinstance(statement, ast.ResourceDecl):
                self.add_resource(statement, None)
            elif isinstance(statement, ast.ModuleDecl):
                self.entries[statement.symbol] = (statement, None)
                self.sym.resource_symbols[statement.symbol] = statement.symbol

    def add_resource(self, decl: ast.ResourceDecl, parent: str | None) -> None:
        key = decl.symbol if parent is None else f"{parent}::{decl.symbol}"
        self.entries[key] = (decl, parent)
        self.sym.resource_symbols[key] = key
        self.sym.resource_symbols.setdefault(decl.symbol, key)
        _, _, body = self.unpack(decl)
        for child in body.resources:
            self.add_resource(child, key)

    def unpack(self, decl: ast.ResourceDecl | ast.ModuleDecl
               ) -> tuple[ast.For | None, ast.Expr | None, ast.Object]:
        value, loop, cond = decl.value, None, None
        if isinstance(value, ast.For):
            loop, cond, value = value, value.condition, value.body
        if isinstance(value, ast.IfValue):
            cond, value = value.cond, value.body
        if not isinstance(value, ast.Object):
            raise self.error(value.pos, "expected an object as the body of the declaration")
        return loop, cond, value

    def resource_info(self, key: str) -> ResInfo | None:
        info = self.infos.get(key)
        if info is not None or key in self.building or key not in self.entries:
            return info
        self.building.add(key)
        outer, self.sym.refs = self.sym.refs, set()
        try:
            info = self.build_info(key)
        finally:
            self.building.discard(key)
            deps, self.sym.refs = self.sym.refs, outer
        info.deps = deps
        if outer is not None:
            outer.update(deps)
        self.infos[key] = info
        return info

    def build_info(self, key: str) -> ResInfo:
        decl, parent_key = self.entries[key]
        loop, _, body = self.unpack(decl)
        env = self.loop_env(loop, {}, "copyIndex()") if loop else {}
        name_prop = find_prop(body, "name")
        own = self.text(name_prop.value, env) if name_prop else None
        if isinstance(decl, ast.ModuleDecl):
            return ResInfo(key, DEPLOYMENTS, DEPLOYMENTS_API, [own or quote(decl.symbol)],
                           looped=loop is not None, module=True)
        type_name, _, api = decl.type_string.partition("@")
        parent = self.resource_info(parent_key) if parent_key else None
        if parent is not None:
            type_name = f"{parent.type}/{type_name}"
            api = api or parent.api_version
        else:
            parent = self.parent_of(body, env)
        own = own or "''"
        segments = [*parent.segments, own] if parent else self.split_name(type_name, own)
        info = ResInfo(key, type_name, api, segments, looped=loop is not None,
                       existing=decl.existing)
        if parent is None and len(segments) > 1 and literal_of(own) is None:
            info.full_name = own
        if parent is not None:
            info.scope_args, info.extension_of = parent.scope_args, parent.extension_of
            info.own_name = own
        scope = find_prop(body, "scope")
        if scope is not None:
            self.apply_scope(info, scope.value, env)
        return info

    def parent_of(self, body: ast.Object, env: dict[str, str]) -> ResInfo | None:
        prop = find_prop(body, "parent")
        ref = self.resource_ref(prop.value, env) if prop else None
        if ref is None:
            return None
        self.note_ref(ref.info)
        return ref.info

    @staticmethod
    def split_name(type_name: str, own: str) -> list[str]:
        depth = type_name.count("/")
        if depth <= 1:
            return [own]
        literal = literal_of(own)
        if literal is not None and literal.count("/") == depth - 1:
            return [quote(part) for part in literal.split("/")]
        return [f"split({own}, '/')[{n}]" for n in range(depth)]

    def apply_scope(self, info: ResInfo, node: ast.Expr, env: dict[str, str]) -> None:
        if isinstance(node, ast.Call) and node.name == "resourceGroup" and node.args:
            info.scope_args = [self.text(arg, env) for arg in node.args]
            return
        ref = self.resource_ref(node, env)
        if ref is not None:
            info.extension_of = self.member_of_ref(ref, "id")
            info.scope_of = self.relative_scope(ref.info, ref.index)

    @staticmethod
    def relative_scope(target: ResInfo, index: str | None) -> str:
        provider, *types = target.type.split("/")
        slots = "/".join(f"{kind}/{{{n}}}" for n, kind in enumerate(types))
        text = call("format", quote(f"{provider}/{slots}"), *target.segments)
        return text if index is None else text.replace("copyIndex()", index)

    # ------------------------------------------------------------ emission
    def name_json(self, info: ResInfo) -> Json:
        literals = [literal_of(segment) for segment in info.segments]
        if all(part is not None for part in literals):
            joined = "/".join(literals)  # type: ignore[arg-type]
            return "[" + joined if joined.startswith("[") else joined
        return "[" + info.name_text() + "]"

    def emit_entry(self, key: str) -> dict[str, Json] | None:
        decl, parent_key = self.entries[key]
        info = self.resource_info(key)
        assert info is not None
        loop, cond, body = self.unpack(decl)
        env = self.loop_env(loop, {}, "copyIndex()") if loop else {}
        path: JsonPath = ("resources", key)
        self.mark(path, decl.pos, decl.end)
        self.sym.refs = set()
        out: dict[str, Json] = {}
        self.header(out, decl, loop, cond, env, path)
        out.update(type=info.type, apiVersion=info.api_version)
        if info.existing:
            out["existing"] = True
        out["name"] = self.name_json(info)
        self.mark_prop(body, "name", path)
        if isinstance(decl, ast.ModuleDecl):
            if not self.module_body(out, decl, key, body, env, path):
                return None
        else:
            self.resource_body(out, info, body, env, path)
        self.depends_on(out, key, parent_key, body)
        self.comments(out, decl)
        return out

    def mark_prop(self, body: ast.Object, key: str, path: JsonPath) -> None:
        prop = find_prop(body, key)
        if prop is not None:
            self.mark((*path, key), prop.pos, prop.end)

    def header(self, out: dict[str, Json], decl: ast.ResourceDecl | ast.ModuleDecl,
               loop: ast.For | None, cond: ast.Expr | None, env: dict[str, str],
               path: JsonPath) -> None:
        if loop is not None:
            copy: dict[str, Json] = {"name": path[-1], "count": self.count(loop, {})}
            for decorator in decl.decorators:
                if decorator.name == "batchSize" and decorator.args:
                    copy.update(mode="serial", batchSize=self.static(decorator.args[0]))
            out["copy"] = copy
            self.mark((*path, "copy"), loop.pos, loop.end)
        if cond is not None:
            out["condition"] = self.expression(cond, env)
            self.mark((*path, "condition"), cond.pos, cond.end)

    def resource_body(self, out: dict[str, Json], info: ResInfo, body: ast.Object,
                      env: dict[str, str], path: JsonPath) -> None:
        if info.scope_of is not None:
            out["scope"] = "[" + info.scope_of + "]"
            self.mark_prop(body, "scope", path)
        elif info.scope_args:
            names = ("subscriptionId", "resourceGroup")[-len(info.scope_args):]
            for field_name, arg in zip(names, info.scope_args, strict=False):
                out[field_name] = literal_of(arg) if literal_of(arg) is not None else f"[{arg}]"
        out.update(self.object_value(body, env, path, skip=_RESERVED))

    def depends_on(self, out: dict[str, Json], key: str, parent_key: str | None,
                   body: ast.Object) -> None:
        found = set(self.sym.refs or ())
        self.sym.refs = None
        info = self.infos.get(key)
        if info is not None:
            found.update(info.deps)
        if parent_key:
            found.add(parent_key)
        explicit = find_prop(body, "dependsOn")
        if explicit is not None and isinstance(explicit.value, ast.Array):
            for item in explicit.value.items:
                ref = self.resource_ref(item, {})
                if ref is not None:
                    found.add(ref.info.key)
        found.discard(key)
        if not self.order:
            self.order = {name: n for n, name in enumerate(self.entries)}
        ordered = sorted((name for name in found if name in self.order), key=self.order.__getitem__)
        if ordered:
            out["dependsOn"] = ordered

    def comments(self, out: dict[str, Json], decl: ast.ResourceDecl | ast.ModuleDecl) -> None:
        texts = self.comments_for(decl)
        if texts:
            out[COMMENT_KEY] = "\n".join(texts)

    def comments_for(self, decl: ast.ResourceDecl | ast.ModuleDecl) -> list[str]:
        """``// azbackup-policy:`` comments inside the declaration or on the lines above."""
        marked = self.unit.program.marked_comments
        if not marked:
            return []
        lines = self.unit.lines
        by_line = {lines.line(offset): text for offset, text in marked}
        first = lines.line(decl.pos)
        above: list[str] = []
        probe = first - 1
        while probe in by_line:
            above.insert(0, by_line[probe])
            probe -= 1
        children = [(c.pos, c.end) for c in self.unpack(decl)[2].resources]
        inside = [text for offset, text in marked if decl.pos <= offset < decl.end
                  and not any(start <= offset < end for start, end in children)]
        return above + inside

    def module_body(self, out: dict[str, Json], decl: ast.ModuleDecl, key: str,
                    body: ast.Object, env: dict[str, str], path: JsonPath) -> bool:
        template = self.follow(self, decl, key)
        if template is None:
            return False
        scope = find_prop(body, "scope")
        if scope is not None and isinstance(scope.value, ast.Call) and scope.value.args:
            args = [self.value(arg, env, (*path, "scope")) for arg in scope.value.args]
            if scope.value.name == "resourceGroup":
                out["resourceGroup"] = args[-1]
                if len(args) > 1:
                    out["subscriptionId"] = args[0]
            elif scope.value.name == "subscription":
                out["subscriptionId"] = args[0]
            self.mark((*path, "resourceGroup"), scope.pos, scope.end)
        props: dict[str, Json] = {"expressionEvaluationOptions": {"scope": "inner"},
                                  "mode": "Incremental", "parameters": {}}
        params = find_prop(body, "params")
        if params is not None and isinstance(params.value, ast.Object):
            self.module_params(props["parameters"], params.value, env, path)
        props["template"] = template
        out["properties"] = props
        return True

    def module_params(self, out: dict[str, Json], node: ast.Object, env: dict[str, str],
                      path: JsonPath) -> None:
        base = (*path, "properties", "parameters")
        for prop in node.props:
            if not isinstance(prop, ast.Prop) or not isinstance(prop.key, str):
                continue
            where = (*base, prop.key)
            self.mark(where, prop.pos, prop.end)
            self.mark((*where, "value"), prop.value.pos, prop.value.end)
            out[prop.key] = {"value": self.value(prop.value, env, (*where, "value"))}

    # ------------------------------------------------------------ the template
    def template(self) -> dict[str, Json]:
        self.collect()
        imported = declare_imports(self, self.load_import)
        sections: dict[str, Any] = {name: {} for name in (
            "metadata", "definitions", "parameters", "variables", "resources", "outputs")}
        functions: dict[str, Json] = {}
        inline_imports(self, imported, sections, functions)
        scope = "resourceGroup"
        for statement in self.unit.program.statements:
            with self.recovering():
                scope = self.statement(statement, sections, functions) or scope
        for key in self.entries:
            with self.recovering(hides=True):
                emitted = self.emit_entry(key)
                if emitted is not None:
                    sections["resources"][key] = emitted
        out: dict[str, Json] = {"$schema": SCHEMAS.get(scope, SCHEMAS["resourceGroup"]),
                                "languageVersion": "2.0", "contentVersion": "1.0.0.0"}
        if functions:
            out["functions"] = [{"namespace": "__bicep", "members": functions}]
        for name in ("metadata", "definitions", "parameters", "variables", "resources",
                     "outputs"):
            if sections[name] or name == "resources":
                out[name] = sections[name]
        return out

    @contextmanager
    def recovering(self, hides: bool = False) -> Iterator[None]:
        """One declaration: an InputError in it is recorded and the next one is read
        (``hides``: a resource or module, whose absence is then not known)."""
        try:
            yield
        except InputError as error:
            (self.shared.hidden if hides else self.shared.problems).append(error)
            self.sym.refs = None

    def statement(self, st: ast.Statement, sections: dict[str, Any],
                  functions: dict[str, Json]) -> str | None:
        if isinstance(st, ast.FuncDecl):
            functions[st.name] = self.function(st)
        elif isinstance(st, ast.Decl):
            kind = st.kind
            if kind == "param":
                sections["parameters"][st.name] = self.param(st)
            elif kind == "var":
                self.variable(st, sections["variables"])
            elif kind == "output":
                sections["outputs"][st.name] = self.output(st)
            elif kind == "type":
                sections["definitions"][st.name] = self.definition(st)
            elif kind == "metadata" and st.value is not None:
                sections["metadata"][st.name] = self.static(st.value)
            elif kind == "targetScope" and isinstance(st.value, ast.Literal):
                return str(st.value.value)
        return None
