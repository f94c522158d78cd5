"""An input format from a plugin: an Azure Resource Manager REST list response.

``az rest --method get --url "/subscriptions/{id}/providers/Microsoft.Compute/
virtualMachines?api-version=2024-07-01" > vms.json`` saves what the List operations of the
ARM REST API return: ``{"value": [resource, ...], "nextLink": ...}``, each resource with
``id``, ``name``, ``type``, ``location``, ``tags`` and ``properties`` in the shape of an
ARM template's resource body. So the parser hands them on in the ``arm`` vocabulary and
the built-in ARM linker, every rule and every reporter take them as they are.

The whole format is this module and the :data:`REST_LIST` row; the hook in
``__init__.py`` returns the row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from azbackup_policy.discover import Source
from azbackup_policy.document import Document, Resource
from azbackup_policy.errors import InputError
from azbackup_policy.formats import FormatSpec
from azbackup_policy.model import SourceSpan
from azbackup_policy.parsers import ParseContext

FORMAT = "azure-rest-list"

_LIST_START = re.compile(rb'^\s*\{\s*"value"\s*:\s*\[')
_ARM_ID = re.compile(rb'"id"\s*:\s*"/subscriptions/[^"]*/providers/')


def is_rest_list(head: bytes) -> bool:
    """A JSON object whose first key is ``value``, a list of resources with ARM ids."""
    return bool(_LIST_START.match(head) and _ARM_ID.search(head))


def _line_of(text: str, needle: str, start: int) -> tuple[int, int]:
    """The 1-based line of the first ``needle`` at or after ``start``, and its offset."""
    found = text.find(needle, start)
    if found < 0:
        return 1, start
    return text.count("\n", 0, found) + 1, found


def _resource(item: Mapping[str, Any], path: str, line: int) -> Resource:
    body = {k: v for k, v in item.items() if k not in ("id", "type")}
    return Resource(
        type=str(item["type"]), address=str(item["name"]),
        span=SourceSpan(path, line, line), properties=body, id=str(item["id"]),
    )


def parse(source: Source, context: ParseContext) -> list[Document]:
    """One Document of every resource in the list (their lines: where their ids are)."""
    text = context.loader.read_text(source.path)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(source.path, 1, 1, f"invalid JSON: {exc}") from None
    items = data.get("value") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(source.path, 1, 1, "an ARM list response has a 'value' list")
    resources, offset = [], 0
    for item in items:
        if not (isinstance(item, dict) and all(isinstance(item.get(k), str)
                                               for k in ("id", "name", "type"))):
            raise InputError(source.path, 1, 1, "each listed resource needs id, name and type")
        line, offset = _line_of(text, json.dumps(item["id"]), offset)
        resources.append(_resource(item, source.path, line))
    return [Document(source.path, FORMAT, "arm", resources=tuple(resources),
                     files=(source.path,))]


REST_LIST = FormatSpec(
    FORMAT, "ARM REST list response (az rest)", parse, "arm",
    sniff=is_rest_list, unit="file",
)
