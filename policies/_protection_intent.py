"""Whether a scale set is meant to be backed up (BKP-CMP-013, C16): a tag the organisation names
(``organisation.protect-tag``), or an Azure Policy assignment in the unit of one of the built-in
"Configure backup on virtual machines with[out] a given tag ..." definitions that covers it.

The definitions (Azure/azure-policy ``built-in-policies/policyDefinitions/Backup``) match
``Microsoft.Compute/virtualMachines`` only, so they never protect a Uniform scale set's instances:
their tag says the workload is meant to be backed up, which those instances cannot be.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from azbackup_policy.authoring import Tri, label
from azbackup_policy.model import PolicyAssignment, ScaleSet, Unknown

# Built-in definitions (name = GUID) -> (display name, the parameter prefix: inclusion/exclusion).
WITH_TAG = {
    "345fa903-145c-4fe1-8bcd-93ec2adccde8": "Configure backup on virtual machines with a given "
    "tag to an existing recovery services vault in the same location",
    "83644c87-93dd-49fe-bf9f-6aff8fd0834e": "Configure backup on VMs with a given tag to a new "
    "recovery services vault with a default policy",
}
WITHOUT_TAG = {
    "09ce66bc-1220-4153-8104-e3f51c936913": "Configure backup on virtual machines without a "
    "given tag to an existing recovery services vault in the same location",
    "98d0b9f8-fd90-49c9-88e2-d3baf3b0dd86": "Configure backup on virtual machines without a "
    "given tag to a new recovery services vault with a default policy",
}
# The "with a given tag ... new vault" definition includes every VM when its tag is empty.
_EMPTY_INCLUDES_ALL = {"83644c87-93dd-49fe-bf9f-6aff8fd0834e"}

Reason = str | Unknown  # why the scale set is meant to be protected, or what is not known


def tag_matches(tags: object, name: str, values: Sequence[object] | None) -> Tri:
    """Does ``tags`` carry tag ``name`` (any case) with one of ``values`` (any case; any value
    when ``values`` is None)? Unknown when the tags or the value are unknown."""
    if isinstance(tags, Unknown):
        return tags
    if not isinstance(tags, Mapping):
        return False
    for key, value in tags.items():
        if str(key).lower() != name.lower():
            continue
        if values is None:
            return True
        if isinstance(value, Unknown):
            return value
        return str(value).lower() in {str(v).lower() for v in values}
    return False


def _parse_tag(setting: str) -> tuple[str, list[str] | None]:
    name, has_value, value = setting.partition("=")
    return name.strip(), [value.strip()] if has_value else None


def by_setting(scale_set: ScaleSet, setting: object) -> Iterator[Reason]:
    """``organisation.protect-tag`` (``backup`` or ``backup=required``) on the scale set."""
    if not isinstance(setting, str) or not setting.strip():
        return
    name, values = _parse_tag(setting)
    found = tag_matches(scale_set.tags, name, values)
    if isinstance(found, Unknown):
        yield found
    elif found:
        yield (f"it carries the tag {setting} that your organisation marks as must-be-backed-up "
               "(organisation.protect-tag)")


def _in_scope(assignment: PolicyAssignment, scale_set: ScaleSet) -> bool:
    """False only when both ids are known and the scale set is outside the assignment's scope
    (an unknown scope is taken as the unit's own: the assignment is declared beside it)."""
    scope, ident = assignment.scope, scale_set.id
    if not isinstance(scope, str) or not isinstance(ident, str):
        return True
    return ident.lower().startswith(scope.rstrip("/").lower() + "/")


def _in_location(parameters: Mapping[str, Any], scale_set: ScaleSet) -> bool:
    """The existing-vault definitions match only VMs in ``vaultLocation``."""
    wanted, mine = parameters.get("vaultLocation"), scale_set.location
    if not isinstance(wanted, str) or not isinstance(mine, str):
        return True
    return wanted.replace(" ", "").lower() == mine.replace(" ", "").lower()


def _covers(definition: str, parameters: Mapping[str, Any], scale_set: ScaleSet) -> Tri:
    including = definition in WITH_TAG
    prefix = "inclusion" if including else "exclusion"
    name, values = parameters.get(f"{prefix}TagName"), parameters.get(f"{prefix}TagValue")
    for value in (name, values):
        if isinstance(value, Unknown):
            return value
    listed = values if isinstance(values, list) else []
    if not isinstance(name, str) or not name or not listed:
        return not including or definition in _EMPTY_INCLUDES_ALL
    found = tag_matches(scale_set.tags, name, listed)
    if isinstance(found, Unknown) or including:
        return found
    return not found


def _shown(parameters: Mapping[str, Any], prefix: str) -> str:
    name, values = parameters.get(f"{prefix}TagName"), parameters.get(f"{prefix}TagValue")
    if not name or not values:
        return "every VM in its scope"
    listed = ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)
    return f"VMs tagged {name} = {listed}" if prefix == "inclusion" else \
        f"every VM in its scope without the tag {name} = {listed}"


def by_policy(scale_set: ScaleSet, assignments: Sequence[PolicyAssignment]) -> Iterator[Reason]:
    """Assignments of the built-in backup-by-tag definitions that cover the scale set."""
    for assignment in assignments:
        definition = assignment.definition_id
        if isinstance(definition, Unknown):
            yield definition
            continue
        key = definition.lower() if isinstance(definition, str) else ""
        if key not in WITH_TAG and key not in WITHOUT_TAG:
            continue
        parameters = assignment.parameters
        if isinstance(parameters, Unknown):
            yield parameters
            continue
        if not _in_scope(assignment, scale_set) or not _in_location(parameters, scale_set):
            continue
        covered = _covers(key, parameters, scale_set)
        if isinstance(covered, Unknown):
            yield covered
        elif covered:
            prefix = "inclusion" if key in WITH_TAG else "exclusion"
            title = WITH_TAG.get(key) or WITHOUT_TAG[key]
            yield (f"policy assignment {label(assignment)} ({title}) backs up "
                   f"{_shown(parameters, prefix)}")
