"""Bicep types and decorators -> ARM parameter / definition / output schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azbackup_policy.parsers.bicep import ast

Json = Any
ValueOf = Callable[[ast.Expr], Json]

_PRIMITIVES = {"string", "int", "bool", "object", "array", "any"}
_SECURE = {"string": "securestring", "object": "secureObject"}
_LIMITS = ("minValue", "maxValue", "minLength", "maxLength")


def literal_type(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, str):
        return "string"
    return "object"


def schema(node: ast.TypeExpr | None, value_of: ValueOf) -> dict[str, Json]:
    """The ARM schema of a Bicep type expression (no decorators)."""
    if node is None:
        return {"type": "object"}
    if isinstance(node, ast.TypeRef):
        return _type_ref(node)
    if isinstance(node, ast.TypeLiteral):
        if node.value is None:
            return {"type": "object", "nullable": True}
        return {"type": literal_type(node.value), "allowed": [node.value]}
    if isinstance(node, ast.TypeArray):
        return {"type": "array", "items": schema(node.item, value_of)}
    if isinstance(node, ast.TypeTuple):
        return {"type": "array", "prefixItems": [schema(t, value_of) for t in node.items],
                "items": False}
    if isinstance(node, ast.TypeNullable):
        return {**schema(node.inner, value_of), "nullable": True}
    if isinstance(node, ast.TypeUnion):
        return _union(node, value_of)
    if isinstance(node, ast.TypeObject):
        return _object(node, value_of)
    return {"type": "string"}  # resource 'T@v' parameters and outputs carry the id


def _type_ref(node: ast.TypeRef) -> dict[str, Json]:
    if node.name in _PRIMITIVES and not node.path:
        return {"type": node.name if node.name != "any" else "object"}
    if node.name in ("resourceInput", "resourceOutput") and node.args:
        source = node.args[0]
        derived = {"source": source.value if isinstance(source, ast.TypeLiteral) else ""}
        if node.path:
            derived["source"] = f"{derived['source']}#properties/{'/properties/'.join(node.path)}"
        return {"type": "object", "metadata": {"__bicep_resource_derived_type!": derived}}
    if node.path:  # ``myType.prop``, ``myType[*]``, ``myType.*`` or ``namespace.myType``
        return {"$ref": "/".join((f"#/definitions/{node.name}",
                                  *(_POINTER.get(part, f"properties/{part}")
                                    for part in node.path)))}
    return {"$ref": f"#/definitions/{node.name}"}


_POINTER = {"[]": "items", "*": "additionalProperties"}


def _union(node: ast.TypeUnion, value_of: ValueOf) -> dict[str, Json]:
    allowed: list[Json] = []
    nullable = False
    nulls = 0
    kinds: set[str] = set()
    for member in node.members:
        if isinstance(member, ast.TypeNullable):  # ``| 'a' | 'b'?``: the union may be null
            nullable, member = True, member.inner
        if isinstance(member, ast.TypeLiteral):
            if member.value is None:
                nullable = True
                nulls += 1
                continue
            allowed.append(member.value)
            kinds.add(literal_type(member.value))
        else:
            kinds.add(schema(member, value_of).get("type", "object"))
    out: dict[str, Json] = {"type": kinds.pop() if len(kinds) == 1 else "object"}
    if allowed and len(allowed) == len(node.members) - nulls:
        out["allowed"] = allowed
    if nullable:
        out["nullable"] = True
    return out


def _object(node: ast.TypeObject, value_of: ValueOf) -> dict[str, Json]:
    properties: dict[str, Json] = {}
    for prop in node.props:
        prop_schema = apply_decorators(schema(prop.type, value_of), prop.decorators, value_of)
        if prop.optional:
            prop_schema["nullable"] = True
        properties[prop.name] = prop_schema
    out: dict[str, Json] = {"type": "object", "properties": properties}
    if node.additional is not None:
        out["additionalProperties"] = schema(node.additional, value_of)
    return out


def apply_decorators(
    out: dict[str, Json], decorators: list[ast.Decorator], value_of: ValueOf
) -> dict[str, Json]:
    """Fold ``@description``, ``@allowed``, ``@secure``, limits, ``@metadata`` ... into ``out``."""
    for decorator in decorators:
        name, args = decorator.name, decorator.args
        first = value_of(args[0]) if args else None
        if name == "secure":
            out["type"] = _SECURE.get(str(out.get("type")), out.get("type"))
        elif name == "description":
            out.setdefault("metadata", {})["description"] = first
        elif name == "metadata" and isinstance(first, dict):
            out.setdefault("metadata", {}).update(first)
        elif name == "allowed":
            out["allowed"] = first
        elif name in _LIMITS:
            out[name] = first
        elif name == "sealed":
            out["additionalProperties"] = False
        elif name == "discriminator":
            out["discriminator"] = {"propertyName": first}
        elif name == "export":
            out.setdefault("metadata", {})["__bicep_export!"] = True
    return out
