"""The text of a VM's custom data, as cloud-init reads it.

Custom data arrives plain or base64 encoded (the API's form); cloud-init then accepts it
gzipped (Terraform's ``base64gzip``, a ``cloudinit_config`` with ``gzip = true``) and as
a MIME multi-part document whose parts may be base64 encoded. Each layer is undone here,
so the rules search the scripts and cloud-config the guest will run. Decompression stops
at :data:`MAX_TEXT` bytes (Azure allows 64 KB of custom data; a gzip bomb stays small).
"""

from __future__ import annotations

import base64
import binascii
import email
import zlib
from functools import lru_cache

MAX_TEXT = 1 << 20
_GZIP = b"\x1f\x8b"


def _unbase64(text: str) -> bytes | None:
    try:
        # Line breaks are allowed (a wrapped heredoc); spaces are not: "echo abc" is text.
        return base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return None


def _gunzip(data: bytes) -> bytes:
    """At most MAX_TEXT bytes of the gzip stream ``data`` (what was read before an error)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        return inflater.decompress(data, MAX_TEXT)
    except zlib.error:
        return b""


def _parts(text: str) -> str:
    """The parts of a MIME multi-part document joined, each decoded; else ``text``."""
    if not text.lstrip()[:40].lower().startswith("content-type: multipart/"):
        return text
    message = email.message_from_string(text)
    if not message.is_multipart():
        return text
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            if payload[:2] == _GZIP:
                payload = _gunzip(payload)
            found.append(payload.decode("utf-8", errors="replace"))
    return "\n".join(found)


@lru_cache(maxsize=64)  # four rules read each VM's custom data: decoded once
def custom_data_text(custom_data: str) -> str:
    """The text cloud-init reads from ``custom_data`` (plain or base64, gzip, MIME)."""
    data = _unbase64(custom_data)
    if data is None:
        data = custom_data.encode("utf-8", errors="replace")
    if data[:2] == _GZIP:
        data = _gunzip(data)
    return _parts(data[:MAX_TEXT].decode("utf-8", errors="replace"))
