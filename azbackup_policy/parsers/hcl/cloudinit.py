"""The ``rendered`` attribute of a ``cloudinit_config`` data source, as the provider builds it.

hashicorp/cloudinit writes the ``part`` blocks as a MIME multi-part document (boundary
``MIMEBOUNDARY`` unless set; a part that is not 7-bit text is base64 encoded), then
gzips it (``gzip``, default true) and base64-encodes it (``base64_encode``, default true;
gzip needs it). The gzip bytes differ from Go's, the content is the same. Unknown when
any input is unknown. The legacy ``template_cloudinit_config`` has the same schema.
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

from azbackup_policy.parsers.hcl.values import Pending, has_pending

DATA_SOURCES = frozenset({"cloudinit_config", "template_cloudinit_config"})


def rendered(properties: dict[str, Any], address: str) -> Any:
    """The ``rendered`` value for the data source's ``properties``, or Pending."""
    packed, encoded = properties.get("gzip", True), properties.get("base64_encode", True)
    boundary = properties.get("boundary", "MIMEBOUNDARY")
    parts = properties.get("part")
    unknown = Pending(f"{address}.rendered", frozenset({address}))
    if has_pending([packed, encoded, boundary, parts]) or not isinstance(parts, list) or \
            not parts or not isinstance(boundary, str) or (packed is True and encoded is not True):
        return unknown
    document = _mime([p for p in parts if isinstance(p, dict)], boundary)
    if document is None:
        return unknown
    data = document.encode("utf-8")
    if packed is True:
        data = gzip.compress(data, mtime=0)
    return base64.b64encode(data).decode("ascii") if encoded is True else data.decode("utf-8")


def _mime(parts: list[dict[str, Any]], boundary: str) -> str | None:
    pieces = [f'Content-Type: multipart/mixed; boundary="{boundary}"\n',
              "MIME-Version: 1.0\r\n\r\n"]
    for index, part in enumerate(parts):
        content = part.get("content")
        if not isinstance(content, str):
            return None
        seven_bit = content.isascii()
        headers = {
            "Content-Type": part.get("content_type") or "text/plain",
            "Mime-Version": "1.0",
            "Content-Transfer-Encoding": "7bit" if seven_bit else "base64",
        }
        if isinstance(part.get("filename"), str) and part["filename"]:
            headers["Content-Disposition"] = f'attachment; filename="{part["filename"]}"'
        if isinstance(part.get("merge_type"), str) and part["merge_type"]:
            headers["X-Merge-Type"] = part["merge_type"]
        pieces.append(("\r\n" if index else "") + f"--{boundary}\r\n")
        pieces += [f"{key}: {headers[key]}\r\n" for key in sorted(headers)]
        pieces.append("\r\n")
        pieces.append(content if seven_bit else
                      base64.b64encode(content.encode("utf-8")).decode("ascii"))
    pieces.append(f"\r\n--{boundary}--\r\n")
    return "".join(pieces)
