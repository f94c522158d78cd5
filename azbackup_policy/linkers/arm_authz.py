"""ARM role assignments and policy assignments -> model (MATRIX.md A19, C16).

An assignment's scope is its ``scope`` property (an extension resource), else where the
template deploys it: its id tells (a resource group, or a subscription, management group
or tenant template; see the ARM parser's deployment level).
"""

from __future__ import annotations

from typing import Any

from azbackup_policy.arm_values import UnknownId
from azbackup_policy.document import Resource
from azbackup_policy.linkers.arm_common import Fields, as_text, first_segment, last_segment
from azbackup_policy.linkers.authz import definition_guid, policy_parameters, scope_level
from azbackup_policy.model import PolicyAssignment, RoleAssignment, Unknown

ROLE_ASSIGNMENT = "Microsoft.Authorization/roleAssignments"
POLICY_ASSIGNMENT = "Microsoft.Authorization/policyAssignments"
_GROUP = Unknown("resourceGroup().id")


def is_role_assignment(resource: Resource) -> bool:
    """``Microsoft.Authorization/roleAssignments``, or the older extension form
    ``<parent type>/providers/roleAssignments``, named ``<parent>/Microsoft.Authorization/<id>``."""
    kind = resource.type.lower()
    return kind == ROLE_ASSIGNMENT.lower() or kind.endswith("/providers/roleassignments")


def assignment_scope(resource: Resource) -> tuple[Any, Any]:
    """(scope, its level) of an assignment resource."""
    at = resource.type.lower().rfind("/providers/")
    if at > 0:  # the extension form: the parent resource is the scope
        parent_type, parent = resource.type[:at], first_segment(resource.properties.get("name"))
        scope = f"{parent_type}/{parent}" if isinstance(parent, str) else parent
        group = parent_type.lower() == "microsoft.resources/resourcegroups"
        return scope, "resourceGroup" if group else "resource"
    declared = resource.properties.get("scope")
    if declared is not None:
        return declared, scope_level(declared)
    ident = resource.id
    if isinstance(ident, str):
        at = ident.lower().rfind("/providers/microsoft.authorization/")
        base = ident[:at] if at > 0 else "/"
        return base, scope_level(base)
    if isinstance(ident, UnknownId) and ident.scope is not None:
        return ident.scope, scope_level(ident.scope)
    return _GROUP, "resourceGroup"  # a resource-group template (the default)


def role_assignment_from_arm(resource: Resource) -> RoleAssignment:
    fields = Fields(resource)
    scope, level = assignment_scope(resource)
    fields.get("scope", "scope")
    return RoleAssignment(
        address=resource.address, resource_type=resource.type,
        name=as_text(last_segment(resource.properties.get("name"))),
        scope=scope, scope_level=level,
        role_definition_id=definition_guid(
            fields.get("role_definition_id", "properties.roleDefinitionId")),
        principal_id=fields.get("principal_id", "properties.principalId"),
        span=resource.span, attr_spans=fields.attr_spans(),
    )


def policy_assignment_from_arm(resource: Resource) -> PolicyAssignment:
    fields = Fields(resource)
    scope, _ = assignment_scope(resource)
    return PolicyAssignment(
        address=resource.address, resource_type=resource.type,
        name=as_text(last_segment(resource.properties.get("name"))), scope=scope,
        definition_id=definition_guid(
            fields.get("definition_id", "properties.policyDefinitionId")),
        parameters=policy_parameters(fields.get("parameters", "properties.parameters")),
        span=resource.span, attr_spans=fields.attr_spans(),
    )
