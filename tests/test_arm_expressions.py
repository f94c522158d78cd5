"""The ARM expression evaluator: one test per function, nesting, escapes, unknowns."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from azbackup_policy.errors import InputError
from azbackup_policy.model import SourceSpan, Unknown
from azbackup_policy.parsers.arm.evaluator import Evaluator, Frame, Scope
from azbackup_policy.parsers.arm.expressions import (
    ExpressionSyntaxError,
    parse_expression,
    render,
)
from azbackup_policy.parsers.arm.functions import all_functions
from azbackup_policy.parsers.arm.values import PartialString, UnknownId

PARAMETERS: dict[str, Any] = {
    "name": "web",
    "count": 3,
    "flag": True,
    "tags": {"env": "prod", "Owner": "ops"},
    "sizes": [128, 256],
    "nothing": None,
    "unknownname": Unknown("parameters('unknownName')"),
}


NO_LOOP = Frame()


def evaluate(text: str, frame: Frame = NO_LOOP, **scope: Any) -> Any:
    positions = {("x",): SourceSpan("t.json", 7, 7, 5)}
    state = Scope("t.json", positions, parameters=dict(PARAMETERS), **scope)
    state.variables["prefix"] = ("[concat('vm-', parameters('name'))]", ("variables", "p"), None)
    state.variables["rgname"] = ("[resourceGroup().name]", ("variables", "r"), None)
    return Evaluator(state, all_functions()).value(text, ("x",), frame)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[parameters('name')]", "web"),
        ("[parameters('NAME')]", "web"),
        ("[variables('prefix')]", "vm-web"),
        ("[concat('a', 'b', parameters('name'))]", "abweb"),
        ("[concat(createArray(1), createArray(2, 3))]", [1, 2, 3]),
        ("[concat('n', 1)]", "n1"),
        ("[format('{0}-{1}', 'a', 2)]", "a-2"),
        ("[format('{0:D3}', 7)]", "007"),
        ("[format('{{literal}} {0}', 'x')]", "{literal} x"),
        ("[if(parameters('flag'), 'yes', 'no')]", "yes"),
        ("[if(not(parameters('flag')), 'yes', 'no')]", "no"),
        ("[equals(parameters('count'), 3)]", True),
        ("[equals('a', 'b')]", False),
        ("[equals(true, 1)]", False),
        ("[not(false)]", True),
        ("[and(true, parameters('flag'))]", True),
        ("[and(true, false)]", False),
        ("[or(false, false)]", False),
        ("[or(false, true)]", True),
        ("[coalesce(parameters('nothing'), 'fallback')]", "fallback"),
        ("[tryGet(parameters('tags'), 'env')]", "prod"),
        ("[tryGet(parameters('tags'), 'missing')]", None),
        ("[createObject('a', 1, 'b', createArray('x'))]", {"a": 1, "b": ["x"]}),
        ("[createArray(1, 'two')]", [1, "two"]),
        ("[union(createObject('a', 1), createObject('a', 2, 'b', 3))]", {"a": 2, "b": 3}),
        ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
        ("[shallowMerge(createArray(createObject('a', 1), createObject('b', 2)))]",
         {"a": 1, "b": 2}),
        ("[toLower('ABC')]", "abc"),
        ("[toUpper('abc')]", "ABC"),
        ("[string(5)]", "5"),
        ("[string(true)]", "True"),
        ("[string(createObject('a', 1))]", '{"a":1}'),
        ("[int('42')]", 42),
        ("[bool('true')]", True),
        ("[length(parameters('sizes'))]", 2),
        ("[length('abcd')]", 4),
        ("[empty(createArray())]", True),
        ("[empty('x')]", False),
        ("[empty(parameters('nothing'))]", True),
        ("[contains(parameters('tags'), 'owner')]", True),
        ("[contains(parameters('sizes'), 256)]", True),
        ("[contains('hello', 'ell')]", True),
        ("[split('a/b/c', '/')]", ["a", "b", "c"]),
        ("[first(split('a/b/c', '/'))]", "a"),
        ("[last(split('a/b/c', '/'))]", "c"),
        ("[first(createArray())]", None),
        ("[replace('a-b-c', '-', '_')]", "a_b_c"),
        ("[substring('hello', 1, 3)]", "ell"),
        ("[substring('hello', 2)]", "llo"),
        ("[greater(3, 2)]", True),
        ("[less(3, 2)]", False),
        ("[items(createObject('b', 1, 'a', 2))]",
         [{"key": "a", "value": 2}, {"key": "b", "value": 1}]),
        ("[range(2, 3)]", [2, 3, 4]),
        ("[json('{\"k\": [1, 2]}').k[1]]", 2),
        ("[parameters('tags').env]", "prod"),
        ("[parameters('tags')['Owner']]", "ops"),
        ("[parameters('sizes')[1]]", 256),
        ("[parameters('tags').?missing]", None),
        ("[parameters('nothing').?anything]", None),
        ("[add(2, 3)]", 5),
        ("[true()]", True),
        ("[null()]", None),
        ("[ concat( 'spaced' ,  'out' ) ]", "spacedout"),
        ("[array('one')]", ["one"]),
        ("[array(createArray(1))]", [1]),
        ("[join(createArray('a', 'b'), ',')]", "a,b"),
        ("[indexOf('abcabc', 'C')]", 2),
        ("[lastIndexOf(createArray(1, 2, 1), 1)]", 2),
        ("[trim('  x ')]", "x"),
        ("[padLeft('7', 3, '0')]", "007"),
        ("[min(createArray(4, 2, 9))]", 2),
        ("[max(4, 2, 9)]", 9),
        ("[intersection(createArray(1, 2, 3), createArray(2, 3, 4))]", [2, 3]),
        ("[take(createArray(1, 2, 3), 2)]", [1, 2]),
        ("[skip('abcd', 2)]", "cd"),
        ("[startsWith('Standard_D2s', 'standard')]", True),
        ("[endsWith('abc', 'BC')]", True),
        ("[objectKeys(createObject('a', 1))]", ["a"]),
        ("[sub(10, 4)]", 6),
        ("[mul(3, 4)]", 12),
        ("[div(7, 2)]", 3),
        ("[mod(7, 2)]", 1),
        ("[greaterOrEquals(2, 2)]", True),
        ("[lessOrEquals(3, 2)]", False),
        ("[concat('it''s', '')]", "it's"),
    ],
)
def test_functions(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[not an expression]", "[not an expression]"),
        ("[[concat('a')]", "[concat('a')]"),
        ("plain [text]", "plain [text]"),
        ("no brackets", "no brackets"),
        ("[unterminated", "[unterminated"),
    ],
)
def test_literals_and_escapes(text: str, expected: str) -> None:
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "[reference('vm').outputs]",
        "[listKeys('sa', '2023-01-01').keys[0].value]",
        "[newGuid()]",
        "[utcNow()]",
        "[uniqueString(resourceGroup().id)]",
        "[resourceGroup().location]",
        "[subscription().subscriptionId]",
        "[deployment().name]",
        "[myNamespace.myFunction('x')]",
    ],
)
def test_deploy_time_functions_are_unknown(text: str) -> None:
    assert isinstance(evaluate(text), Unknown)


def test_unknown_propagates_with_expression_text() -> None:
    result = evaluate("[toUpper(parameters('unknownName'))]")
    assert result == Unknown("toUpper(parameters('unknownName'))")


def test_concat_with_unknown_keeps_known_parts() -> None:
    result = evaluate("[concat('a', parameters('unknownName'), 'b')]")
    assert isinstance(result, PartialString)
    assert result.expression == "concat('a', parameters('unknownName'), 'b')"
    assert result.parts == ("a", Unknown("parameters('unknownName')"), "b")


def test_format_with_unknown_is_partial() -> None:
    result = evaluate("[format('{0}/{1}', parameters('name'), variables('rgname'))]")
    assert isinstance(result, PartialString)
    assert result.display() == "web/[resourceGroup().name]"


def test_if_with_unknown_condition_is_unknown_and_branches_are_lazy() -> None:
    assert isinstance(evaluate("[if(parameters('unknownName'), 1, 2)]"), Unknown)
    # the untaken branch would fail (no such property) but is never evaluated
    assert evaluate("[if(false, parameters('tags').nope, 'ok')]") == "ok"


def test_and_or_short_circuit_and_unknown() -> None:
    assert evaluate("[and(false, parameters('tags').nope)]") is False
    assert evaluate("[or(parameters('unknownName'), true)]") is True
    assert isinstance(evaluate("[and(parameters('unknownName'), true)]"), Unknown)


def test_coalesce_stops_at_unknown() -> None:
    assert isinstance(evaluate("[coalesce(parameters('unknownName'), 'x')]"), Unknown)
    assert evaluate("[coalesce('first', parameters('unknownName'))]") == "first"


def test_nested_calls() -> None:
    text = "[toLower(last(split(concat(variables('prefix'), '/', string(add(1, 1))), '/')))]"
    assert evaluate(text) == "2"


def test_resource_id_with_unknown_scope_is_structured() -> None:
    result = evaluate("[resourceId('Microsoft.Compute/virtualMachines', variables('prefix'))]")
    assert isinstance(result, UnknownId)
    assert result.type == "Microsoft.Compute/virtualMachines"
    assert result.names == ("vm-web",)
    twin = evaluate("[resourceId('Microsoft.Compute/virtualMachines', 'vm-web')]")
    assert twin == result


def test_resource_id_with_known_scope_is_a_string() -> None:
    result = evaluate(
        "[resourceId('00000000-0000-0000-0000-000000000001', 'rg-app', "
        "'Microsoft.RecoveryServices/vaults/backupPolicies', 'rsv', 'pol')]"
    )
    assert result == ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/"
                      "rg-app/providers/Microsoft.RecoveryServices/vaults/rsv/"
                      "backupPolicies/pol")


def test_resource_id_uses_the_deployment_scope_when_known() -> None:
    result = evaluate("[resourceId('Microsoft.Compute/disks', 'd1')]",
                      subscription_id="sub", resource_group="rg")
    assert result == "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"
    assert evaluate("[resourceGroup().id]", subscription_id="sub", resource_group="rg") == \
        "/subscriptions/sub/resourceGroups/rg"


def test_subscription_and_extension_resource_ids() -> None:
    assert evaluate("[subscriptionResourceId('sub', 'Microsoft.Authorization/roleDefinitions', "
                    "'r1')]") == "/subscriptions/sub/providers/Microsoft.Authorization/" \
                                 "roleDefinitions/r1"
    unknown = evaluate("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r')]")
    assert isinstance(unknown, UnknownId)
    assert evaluate("[extensionResourceId('/subscriptions/s/resourceGroups/g/providers/"
                    "Microsoft.Compute/virtualMachines/vm', 'Microsoft.Authorization/locks', "
                    "'l')]") == ("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                                 "virtualMachines/vm/providers/Microsoft.Authorization/locks/l")


def test_resource_id_with_unknown_name_segment() -> None:
    result = evaluate("[resourceId('Microsoft.Compute/virtualMachines', "
                      "parameters('unknownName'))]")
    assert isinstance(result, UnknownId)
    assert result.names == (Unknown("parameters('unknownName')"),)


def test_copy_index_with_names_and_offsets() -> None:
    frame = Frame().enter("outer", 2).enter("disks", 1)
    assert evaluate("[copyIndex()]", frame) == 1
    assert evaluate("[copyIndex(10)]", frame) == 11
    assert evaluate("[copyIndex('outer')]", frame) == 2
    assert evaluate("[copyIndex('outer', 1)]", frame) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[parameters('missing')]", "no parameter 'missing'"),
        ("[variables('missing')]", "no variable 'missing'"),
        ("[copyIndex()]", "outside"),
        ("[parameters('tags').nope]", "no property 'nope'"),
        ("[parameters('sizes')[5]]", "out of range"),
        ("[concat('a', 'b']", "bad template expression"),
        ("[concat('a' 'b')]", "bad template expression"),
        ("[resourceId('Microsoft.Compute/virtualMachines', 'a', 'b')]", "name segment"),
    ],
)
def test_errors_name_the_location(text: str, message: str) -> None:
    """A failing expression is reported with its location and its value becomes Unknown."""
    positions = {("x",): SourceSpan("t.json", 7, 7, 5)}
    state = Scope("t.json", positions, parameters=dict(PARAMETERS))
    value = Evaluator(state, all_functions()).value(text, ("x",), NO_LOOP)
    assert isinstance(value, Unknown)
    (problem,) = state.problems
    assert (problem.file, problem.line, problem.column) == ("t.json", 7, 5)
    assert message in problem.message


def test_render_is_canonical() -> None:
    tree = parse_expression("concat( 'a' ,parameters( 'b' ).c[0] , x.?y )".replace("x", "v()"))
    assert render(tree) == "concat('a', parameters('b').c[0], v().?y)"


def test_syntax_error_offset() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_expression("concat('a', )")
    assert caught.value.offset == 12


_FUNCTION_NAMES = [*sorted(all_functions()), "reference", "uniqueString", "nope"]
_LEAVES = ["'a/b'", "1", "0", "-2", "true", "null", "parameters('tags')", "parameters('sizes')",
           "parameters('unknownName')", "createArray()", "createObject()", "'{0}'", "'[1]'"]


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(_LEAVES))
    name = draw(st.sampled_from(_FUNCTION_NAMES))
    args = draw(st.lists(_expressions(depth + 1), max_size=3))
    text = f"{name}({', '.join(args)})"
    suffix = draw(st.sampled_from(["", ".a", "[0]", ".?x", "['k']"]))
    return text + suffix


@settings(max_examples=400, deadline=None)
@given(_expressions())
@example("substring('a/b', 'a/b')")  # 77886b2: arguments of the wrong type
@example("substring('a/b', 1, '{0}')")
@example("parameters('sizes')[2]")  # X05 of the test review: an index equal to the length
def test_any_expression_gives_a_value_or_input_error(text: str) -> None:
    try:
        evaluate(f"[{text}]")
    except InputError as error:
        assert error.line == 7


def test_parse_id_forms() -> None:
    from azbackup_policy.parsers.arm.values import parse_id

    full = ("/subscriptions/s/resourceGroups/g/providers/Microsoft.RecoveryServices/vaults/v/"
            "backupPolicies/p")
    assert parse_id(full) == ("Microsoft.RecoveryServices/vaults/backupPolicies", ("v", "p"))
    assert parse_id("Microsoft.Compute/virtualMachines/vm1") == (
        "Microsoft.Compute/virtualMachines", ("vm1",))
    assert parse_id("not an id") is None
    assert parse_id("/subscriptions/s/resourceGroups/g") is None


def test_copy_index_without_a_name_in_a_property_copy_means_the_resource_loop() -> None:
    """ARM's rule (``bicep build`` writes nested ``for`` loops this way)."""
    frame = Frame().enter("vnet", 2).enter_property("subnets", 3)
    assert evaluate("[copyIndex()]", frame) == 2
    assert evaluate("[copyIndex('subnets')]", frame) == 3
    alone = Frame().enter_property("disks", 1)  # no resource loop: the property's own
    assert evaluate("[copyIndex()]", alone) == 1


@pytest.mark.parametrize(("base", "relative", "expected"), [
    ("https://a.example/x/azuredeploy.json", "nested/vm.json", "https://a.example/x/nested/vm.json"),
    ("https://a.example/x/", "nested/vm.json", "https://a.example/x/nested/vm.json"),
    ("https://a.example/x/", "/nested/vm.json", "https://a.example/x/nested/vm.json"),
    ("https://a.example", "vm.json", "https://a.examplevm.json"),
    ("https://a.example/x/main.json", "vm.json?sv=1", "https://a.example/x/vm.json?sv=1"),
])
def test_uri_combines_as_the_arm_docs_say(base: str, relative: str, expected: str) -> None:
    assert evaluate(f"[uri('{base}', '{relative}')]") == expected


def test_deployment_template_link_is_unknown_outside_the_linked_template_search() -> None:
    assert isinstance(evaluate("[deployment().properties.templateLink.uri]"), Unknown)
    assert evaluate("[deployment().properties.templateLink.uri]",
                    template_link="https://t.invalid/main.json") == "https://t.invalid/main.json"
