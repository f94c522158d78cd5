"""The Bicep syntax tree. Every node keeps ``pos`` and ``end``: offsets into its source,
turned into line and column by :class:`~azbackup_policy.parsers.bicep.lexer.LineIndex`.

Nodes are plain slotted dataclasses (not frozen: building millions of them must be
cheap). Expressions, types and declarations are separate families.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from azbackup_policy.errors import InputError

# ---------------------------------------------------------------- expressions


@dataclass(slots=True)
class Literal:
    """``'text'``, ``12``, ``true``, ``null`` (value is the Python value)."""

    value: object
    pos: int
    end: int


@dataclass(slots=True)
class Template:
    """An interpolated string: literal ``str`` parts alternate with expressions."""

    parts: list[str | Expr]
    pos: int
    end: int


@dataclass(slots=True)
class Name:
    name: str
    pos: int
    end: int


@dataclass(slots=True)
class Array:
    items: list[Expr]
    pos: int
    end: int


@dataclass(slots=True)
class Prop:
    """``key: value`` in an object; ``key`` is a ``str`` or a :class:`Template`."""

    key: str | Template
    value: Expr
    pos: int
    end: int


@dataclass(slots=True)
class Spread:
    value: Expr
    pos: int
    end: int


@dataclass(slots=True)
class Object:
    props: list[Prop | Spread]
    pos: int
    end: int
    # Child resources declared inside a resource body.
    resources: list[ResourceDecl] = field(default_factory=list)


@dataclass(slots=True)
class Call:
    """``f(a)`` or ``ns.f(a)``; ``target`` is set for ``expr.f(a)`` on a non-namespace."""

    name: str
    args: list[Expr]
    pos: int
    end: int
    namespace: str | None = None
    target: Expr | None = None


@dataclass(slots=True)
class Member:
    """``obj.name`` (``safe``: ``obj.?name``)."""

    obj: Expr
    name: str
    safe: bool
    pos: int
    end: int


@dataclass(slots=True)
class Index:
    """``obj[index]`` (``safe``: ``obj[?index]``)."""

    obj: Expr
    index: Expr
    safe: bool
    pos: int
    end: int


@dataclass(slots=True)
class ChildAccess:
    """``parent::child``."""

    obj: Expr
    name: str
    pos: int
    end: int


@dataclass(slots=True)
class NonNull:
    """``expr!``."""

    value: Expr
    pos: int
    end: int


@dataclass(slots=True)
class Unary:
    op: str
    value: Expr
    pos: int
    end: int


@dataclass(slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr
    pos: int
    end: int


@dataclass(slots=True)
class Ternary:
    cond: Expr
    then: Expr
    other: Expr
    pos: int
    end: int


@dataclass(slots=True)
class Lambda:
    params: list[str]
    body: Expr
    pos: int
    end: int


@dataclass(slots=True)
class For:
    """``[for item in iterable: body]``, ``[for (item, index) in ...: if (cond) body]``."""

    item: str | None
    index: str | None
    iterable: Expr
    body: Expr
    pos: int
    end: int
    condition: Expr | None = None


@dataclass(slots=True)
class IfValue:
    """``if (cond) { ... }`` as a resource or module value."""

    cond: Expr
    body: Expr
    pos: int
    end: int


Expr = (
    Literal | Template | Name | Array | Object | Call | Member | Index | ChildAccess
    | NonNull | Unary | Binary | Ternary | Lambda | For | IfValue | Spread
)

# ---------------------------------------------------------------- types


@dataclass(slots=True)
class TypeRef:
    """``string``, ``ns.myType``, ``resourceInput<'T@v'>.properties`` (``args``, ``path``)."""

    name: str
    pos: int
    end: int
    args: list[Expr] = field(default_factory=list)
    path: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TypeLiteral:
    value: object
    pos: int
    end: int


@dataclass(slots=True)
class TypeArray:
    item: TypeExpr
    pos: int
    end: int


@dataclass(slots=True)
class TypeTuple:
    items: list[TypeExpr]
    pos: int
    end: int


@dataclass(slots=True)
class TypeProp:
    name: str
    type: TypeExpr
    optional: bool
    decorators: list[Decorator]
    pos: int
    end: int


@dataclass(slots=True)
class TypeObject:
    props: list[TypeProp]
    pos: int
    end: int
    additional: TypeExpr | None = None


@dataclass(slots=True)
class TypeUnion:
    members: list[TypeExpr]
    pos: int
    end: int


@dataclass(slots=True)
class TypeNullable:
    inner: TypeExpr
    pos: int
    end: int


@dataclass(slots=True)
class ResourceType:
    """``resource 'T@v'`` as a parameter or output type."""

    type_string: str
    pos: int
    end: int


TypeExpr = (
    TypeRef | TypeLiteral | TypeArray | TypeTuple | TypeObject | TypeUnion | TypeNullable
    | ResourceType
)

# ---------------------------------------------------------------- declarations


@dataclass(slots=True)
class Decorator:
    name: str
    args: list[Expr]
    pos: int
    end: int
    namespace: str | None = None


@dataclass(slots=True)
class Decl:
    """A top-level statement. ``kind`` is the keyword (``param``, ``var``, ``output``,
    ``type``, ``metadata``, ``targetScope``, ``assert``, ``extension``, ``using``)."""

    kind: str
    name: str
    pos: int
    end: int
    decorators: list[Decorator] = field(default_factory=list)
    type: TypeExpr | None = None
    value: Expr | None = None
    name_pos: int = 0


@dataclass(slots=True)
class FuncDecl:
    name: str
    params: list[tuple[str, TypeExpr]]
    returns: TypeExpr
    body: Expr
    pos: int
    end: int
    decorators: list[Decorator] = field(default_factory=list)


@dataclass(slots=True)
class ImportDecl:
    """``import {a, b as c} from 'x'`` (``names``) or ``import * as ns from 'x'``."""

    source: str
    pos: int
    end: int
    names: list[tuple[str, str]] = field(default_factory=list)
    wildcard: str | None = None
    decorators: list[Decorator] = field(default_factory=list)


@dataclass(slots=True)
class ResourceDecl:
    """``resource sym 'T@v' [existing] = value``; ``value`` is an Object, IfValue or For."""

    symbol: str
    type_string: str
    existing: bool
    value: Expr
    pos: int
    end: int
    decorators: list[Decorator] = field(default_factory=list)


@dataclass(slots=True)
class ModuleDecl:
    symbol: str
    path: str
    value: Expr
    pos: int
    end: int
    decorators: list[Decorator] = field(default_factory=list)
    path_pos: int = 0


Statement = Decl | FuncDecl | ImportDecl | ResourceDecl | ModuleDecl


@dataclass(slots=True)
class Program:
    statements: list[Statement]
    marked_comments: list[tuple[int, str]] = field(default_factory=list)
    # Declarations that did not parse (each an error at its position; the rest of the
    # file is still read) and the names they declared, which stay unknown.
    errors: list[InputError] = field(default_factory=list, compare=False)
    failed_kinds: list[str] = field(default_factory=list)  # the keyword of each error's
    failed_names: list[str] = field(default_factory=list)
