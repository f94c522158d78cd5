"""Tokenizer and parser of Bicep: tokens, AST shapes and positions."""

from __future__ import annotations

import pytest

from azbackup_policy.errors import InputError
from azbackup_policy.parsers.bicep import ast
from azbackup_policy.parsers.bicep.lexer import Lexer, LineIndex
from azbackup_policy.parsers.bicep.parser import Parser, parse_program


def kinds(text: str) -> list[str]:
    return [token[0] for token in Lexer(text, "t.bicep").tokenize()]


def only(text: str) -> ast.Statement:
    program = parse_program(text, "t.bicep")
    assert len(program.statements) == 1
    return program.statements[0]


def value_of(text: str) -> ast.Expr:
    statement = only(f"var v = {text}\n")
    assert isinstance(statement, ast.Decl) and statement.value is not None
    return statement.value


def test_tokens_of_operators_and_newlines() -> None:
    assert kinds("a.?b ?? c[?'k']!\n") == [
        "id", ".?", "id", "??", "id", "[", "?", "str", "]", "!", "nl", "eof"]
    assert kinds("x =~ y !~ z => ... :: ") == ["id", "=~", "id", "!~", "id", "=>", "...", "::",
                                            "eof"]


def test_comments_and_pragmas_are_skipped() -> None:
    assert kinds("// hi\n/* multi\nline */ x #disable-next-line foo\n") == [
        "nl", "id", "nl", "eof"]


def test_marked_comments_are_kept() -> None:
    lexer = Lexer("// azbackup-policy: ignore X\nvar a = 1 // plain\n", "t.bicep")
    lexer.tokenize()
    assert lexer.marked_comments == [(0, "azbackup-policy: ignore X")]


def test_string_escapes() -> None:
    tokens = Lexer(r"'it\'s \\ \n \t \${x} \u{1F600} $5'", "t.bicep").tokenize()
    assert tokens[0][:2] == ("str", "it's \\ \n \t ${x} \U0001F600 $5")


def test_interpolated_string_parts() -> None:
    value = value_of("'vm-${name}-${toUpper('${x}')}'")
    assert isinstance(value, ast.Template)
    assert value.parts[0] == "vm-" and value.parts[2] == "-" and value.parts[-1] == ""
    assert isinstance(value.parts[1], ast.Name)
    inner = value.parts[3]
    assert isinstance(inner, ast.Call) and isinstance(inner.args[0], ast.Template)


def test_multiline_string_drops_first_newline_and_keeps_dollar() -> None:
    value = value_of("'''\nline ${x}\n'''")
    assert isinstance(value, ast.Literal) and value.value == "line ${x}\n"


def test_crlf_positions() -> None:
    text = "var a = 1\r\nvar b = 'x'\r\n"
    program = parse_program(text, "t.bicep")
    lines = LineIndex(text)
    second = program.statements[1]
    assert lines.position(second.pos) == (2, 1)
    assert isinstance(second, ast.Decl) and second.value is not None
    assert lines.position(second.value.pos) == (2, 9)


def test_operator_precedence_follows_the_docs() -> None:
    value = value_of("a || b && c == d + e * f ?? g")
    assert isinstance(value, ast.Binary) and value.op == "??"
    left = value.left
    assert isinstance(left, ast.Binary) and left.op == "||"
    assert isinstance(left.right, ast.Binary) and left.right.op == "&&"
    eq = left.right.right
    assert isinstance(eq, ast.Binary) and eq.op == "=="
    assert isinstance(eq.right, ast.Binary) and eq.right.op == "+"


def test_ternary_across_lines_is_right_associative() -> None:
    value = value_of("a\n  ? b\n  : c ? d : e")
    assert isinstance(value, ast.Ternary)
    assert isinstance(value.other, ast.Ternary)


def test_safe_access_non_null_and_child_access() -> None:
    value = value_of("vault::policy.properties.?x[?'y']!")
    assert isinstance(value, ast.NonNull)
    index = value.value
    assert isinstance(index, ast.Index) and index.safe
    member = index.obj
    assert isinstance(member, ast.Member) and member.safe and member.name == "x"
    assert isinstance(member.obj, ast.Member)
    assert isinstance(member.obj.obj, ast.ChildAccess)


def test_lambdas() -> None:
    value = value_of("reduce(xs, 0, (acc, x) => acc + x)")
    assert isinstance(value, ast.Call)
    lam = value.args[2]
    assert isinstance(lam, ast.Lambda) and lam.params == ["acc", "x"]
    single = value_of("map(xs, x => x.id)")
    assert isinstance(single, ast.Call) and isinstance(single.args[1], ast.Lambda)


def test_spread_in_object_and_array() -> None:
    value = value_of("{\n  ...base\n  a: 1\n}")
    assert isinstance(value, ast.Object) and isinstance(value.props[0], ast.Spread)
    array = value_of("[\n  'a'\n  ...rest\n]")
    assert isinstance(array, ast.Array) and isinstance(array.items[1], ast.Spread)


def test_object_with_commas_and_quoted_keys() -> None:
    value = value_of("{ a: 1, 'b-c': 2 }")
    assert isinstance(value, ast.Object)
    assert [p.key for p in value.props if isinstance(p, ast.Prop)] == ["a", "b-c"]


def test_for_expression_forms() -> None:
    plain = value_of("[for x in xs: x]")
    assert isinstance(plain, ast.For) and plain.item == "x" and plain.index is None
    indexed = value_of("[for (x, i) in xs: i]")
    assert isinstance(indexed, ast.For) and indexed.index == "i"
    filtered = value_of("[\n  for x in xs: if (x != 'a') {\n    name: x\n  }\n]")
    assert isinstance(filtered, ast.For) and isinstance(filtered.condition, ast.Binary)


def test_param_types() -> None:
    union = only("param p 'A' | 'B' = 'A'\n")
    assert isinstance(union, ast.Decl) and isinstance(union.type, ast.TypeUnion)
    paren = only("param p ('A' | 'B')[]\n")
    assert isinstance(paren, ast.Decl) and isinstance(paren.type, ast.TypeArray)
    nullable = only("param p string?\n")
    assert isinstance(nullable, ast.Decl) and isinstance(nullable.type, ast.TypeNullable)
    derived = only("param p resourceInput<'Microsoft.Compute/virtualMachines@2024-07-01'>"
                   ".properties.storageProfile\n")
    assert isinstance(derived, ast.Decl) and isinstance(derived.type, ast.TypeRef)
    assert derived.type.path == ["properties", "storageProfile"]


def test_object_type_with_decorators() -> None:
    node = only("param p {\n  @description('x')\n  a: string\n  b: int?\n}\n")
    assert isinstance(node, ast.Decl) and isinstance(node.type, ast.TypeObject)
    first = node.type.props[0]
    assert first.decorators[0].name == "description"
    assert node.type.props[1].name == "b"


def test_namespaced_decorator() -> None:
    node = only("@sys.description('x')\nparam p string\n")
    assert isinstance(node, ast.Decl)
    assert node.decorators[0].namespace == "sys" and node.decorators[0].name == "description"
    assert node.pos == 0


def test_every_declaration_kind() -> None:
    text = (
        "targetScope = 'subscription'\nmetadata m = 'x'\nparam p int\nvar v = 1\n"
        "type t = string\nfunc f(a int) int => a\nimport { a as b } from './x.bicep'\n"
        "import * as ns from './x.bicep'\nextension microsoftGraphV1\n"
        "resource r 'A.B/c@1' existing = {\n  name: 'x'\n}\n"
        "module m './m.bicep' = {\n  name: 'm'\n}\noutput o int = 1\nassert a = true\n"
    )
    program = parse_program(text, "t.bicep")
    names = [type(s).__name__ + ":" + getattr(s, "kind", "") for s in program.statements]
    assert names == [
        "Decl:targetScope", "Decl:metadata", "Decl:param", "Decl:var", "Decl:type",
        "FuncDecl:", "ImportDecl:", "ImportDecl:", "Decl:extension", "ResourceDecl:",
        "ModuleDecl:", "Decl:output", "Decl:assert",
    ]
    imports = [s for s in program.statements if isinstance(s, ast.ImportDecl)]
    assert imports[0].names == [("a", "b")] and imports[1].wildcard == "ns"


def test_nested_resources_are_collected() -> None:
    node = only("resource v 'A.B/c@1' = {\n  name: 'v'\n  resource p 'd' = {\n"
                "    name: 'p'\n  }\n}\n")
    assert isinstance(node, ast.ResourceDecl) and isinstance(node.value, ast.Object)
    assert [child.symbol for child in node.value.resources] == ["p"]


def test_condition_on_the_next_line() -> None:
    node = only("resource r 'A.B/c@1' =\n  if (x) {\n  name: 'r'\n}\n")
    assert isinstance(node, ast.ResourceDecl) and isinstance(node.value, ast.IfValue)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("var a = \n", 2, 1, "expected an expression"),
        ("var a = 'open\n", 1, 9, "unterminated string"),
        ("resource r 'A/b@1' = {\n  name: 'x' 'y'\n}\n", 2, 13, "after the object property"),
        ("param p string = 1 2\n", 1, 20, "line break"),
        ("var a = 1\n  $\n", 2, 3, "unexpected character"),
        ("var s = 'bad \\q escape'\n", 1, 14, "invalid escape"),
        ("var a = /* never closed\n", 1, 9, "unterminated comment"),
        ("output o string\n", 1, 16, "'='"),
        ("foo bar\n", 1, 1, "declaration"),
        ("var x = '${a'\n", 1, 13, "unterminated string"),
    ],
)
def test_syntax_errors_have_positions(text: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_program(text, "bad.bicep")
    error = caught.value
    assert (error.file, error.line, error.column) == ("bad.bicep", line, column)
    assert fragment in error.message


def test_nesting_depth_is_limited() -> None:
    with pytest.raises(InputError, match="nesting deeper"):
        parse_program("var a = " + "[" * 60 + "]" * 60 + "\n", "deep.bicep", max_depth=50)


def test_multi_line_union_with_leading_bars() -> None:
    node = only("type t = {\n  sku:\n    | 'Premium_LRS'\n    | 'Standard_LRS'?\n"
                "  name: string\n}\n")
    assert isinstance(node, ast.Decl) and isinstance(node.type, ast.TypeObject)
    sku, name = node.type.props
    assert isinstance(sku.type, ast.TypeUnion) and len(sku.type.members) == 2
    assert isinstance(sku.type.members[1], ast.TypeNullable)
    assert name.name == "name"
    top = only("type u =\n  | 'a'\n  | 'b'\n  | 'c'\n")
    assert isinstance(top, ast.Decl) and isinstance(top.type, ast.TypeUnion)
    assert [m.value for m in top.type.members] == ["a", "b", "c"]  # type: ignore[union-attr]
    param = only("param p\n  | 1\n  | 2 = 1\n")
    assert isinstance(param, ast.Decl) and isinstance(param.type, ast.TypeUnion)
    assert isinstance(param.value, ast.Literal) and param.value.value == 1


def test_import_list_one_name_per_line() -> None:
    node = only("import {\n  diskType\n  nicType as nic, ipType\n}\nfrom './types.bicep'\n"
                .replace("}\nfrom", "} from"))
    assert isinstance(node, ast.ImportDecl)
    assert node.names == [("diskType", "diskType"), ("nicType", "nic"), ("ipType", "ipType")]


def test_extends_in_a_parameters_file() -> None:
    program = parse_program("using './main.bicep'\nextends './base.bicepparam'\nparam a = 1\n",
                            "p.bicepparam")
    assert [getattr(s, "kind", "") for s in program.statements] == ["using", "extends", "param"]


def test_a_declaration_that_does_not_parse_is_skipped_and_the_rest_read() -> None:
    text = ("var a = 1\n"
            "param broken string = {\n  a: 1 2\n}\n"
            "@description('kept')\n"
            "resource r 'A.B/c@1' = {\n  name: 'r'\n  type: 'nested keyword key'\n}\n"
            "var b = ((\n"
            "output o int = a\n"
            "output p int = 2\n")
    lexer = Lexer(text, "t.bicep")
    program = Parser(lexer.tokenize(), lexer, 200).program()
    kept = [getattr(s, "name", None) or getattr(s, "symbol", None) for s in program.statements]
    assert kept == ["a", "r", "o", "p"]  # read again from the line after the unclosed "(("
    assert [(e.line, e.column) for e in program.errors] == [(3, 8), (11, 8)]
    assert program.failed_names == ["broken", "b"]
    assert program.failed_kinds == ["param", "var"]
    decorated = Parser(*(lambda lx: (lx.tokenize(), lx))(Lexer(
        "@description('x')\n@batchSize(1)\nresource vm 'A.B/c@1' = {\n  name: 'v' 'w'\n}\n"
        "var after = 1\n", "t.bicep")), 200).program()
    assert (decorated.failed_kinds, decorated.failed_names) == (["resource"], ["vm"])
    assert [getattr(s, "name", None) for s in decorated.statements] == ["after"]
    multi = Parser(*(lambda lx: (lx.tokenize(), lx))(Lexer(
        "@allowed([\n  'a'\n])\nparam p string = 1 2\nvar after = 1\n", "t.bicep")), 200
                   ).program()
    assert (multi.failed_kinds, multi.failed_names, len(multi.errors)) == (["param"], ["p"], 1)
    with pytest.raises(InputError) as caught:  # the all-or-nothing helper
        parse_program(text, "t.bicep")
    assert caught.value.line == 3
