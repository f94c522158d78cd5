"""azurerm role assignments and policy assignments (MATRIX.md A19, C16)."""

from __future__ import annotations

from typing import Any

from azbackup_policy.document import Resource
from azbackup_policy.linkers.authz import definition_guid, policy_parameters, scope_level
from azbackup_policy.linkers.azurerm_common import Index, Reader, json_value
from azbackup_policy.model import PolicyAssignment, RoleAssignment, Unknown

ROLE_ASSIGNMENT = "azurerm_role_assignment"
ROLE_DEFINITION = "azurerm_role_definition"
# Policy assignment type -> the argument that holds its scope.
POLICY_ASSIGNMENTS = {
    "azurerm_resource_group_policy_assignment": "resource_group_id",
    "azurerm_subscription_policy_assignment": "subscription_id",
    "azurerm_management_group_policy_assignment": "management_group_id",
    "azurerm_resource_policy_assignment": "resource_id",
}
# What a scope that refers to a resource (or data source) of these types is.
_SCOPE_TYPES = {"azurerm_resource_group": "resourceGroup",
                "azurerm_subscription": "subscription",
                "azurerm_management_group": "managementGroup"}


def _level(resource: Resource, path: str, value: Any, index: Index) -> Any:
    """The scope level of ``resource.<path>``: from its id when known, else from what the
    expression refers to (``azurerm_resource_group.app.id`` is a resource group)."""
    if not isinstance(value, Unknown):
        return scope_level(value)
    targets = [index.by_address[a] for a in resource.references.get(path, ())
               if a in index.by_address]
    if len(targets) == 1:
        return _SCOPE_TYPES.get(targets[0].type, "resource")
    return value


def _role_name(resource: Resource, index: Index) -> Any:
    """``role_definition_name``, or the name of the ``azurerm_role_definition`` data source
    that ``role_definition_id`` refers to."""
    name = resource.properties.get("role_definition_name")
    if name is not None:
        return name
    for address in resource.references.get("role_definition_id", ()):
        source = index.by_address.get(address)
        if source is not None and source.type == ROLE_DEFINITION:
            found = source.properties.get("name")
            return found if isinstance(found, str) else None
    return None


def role_assignment(resource: Resource, index: Index) -> RoleAssignment:
    reader = Reader(resource)
    scope = reader.get("scope", "scope")
    role_id = reader.get("role_definition_id", "role_definition_id")
    reader.mark("role_definition_name", "role_definition_name")
    return RoleAssignment(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=reader.get("name", "name"), scope=scope,
        scope_level=_level(resource, "scope", scope, index),
        role_definition_id=definition_guid(role_id),
        role_definition_name=_role_name(resource, index),
        principal_id=reader.get("principal_id", "principal_id"),
        attr_spans=reader.attr_spans(),
    )


def policy_assignment(resource: Resource) -> PolicyAssignment:
    reader = Reader(resource)
    return PolicyAssignment(
        address=resource.address, resource_type=resource.type, span=resource.span,
        name=reader.get("name", "name"),
        scope=reader.get("scope", POLICY_ASSIGNMENTS[resource.type]),
        definition_id=definition_guid(reader.get("definition_id", "policy_definition_id")),
        parameters=policy_parameters(json_value(reader.get("parameters", "parameters"))),
        attr_spans=reader.attr_spans(),
    )
