"""Registry modules (``br:``) read from Bicep's local module cache, never from the network.

``bicep restore`` / ``bicep build`` / ``az bicep build`` write each ``br:`` module they
pull to the cache as the compiled ARM template::

    <cache root>/br/<registry>/<repository>/<tag or digest>/main.json

The layout is ``OciArtifactRegistry.GetArtifactDirectory`` of the Bicep compiler: the
registry lower-cased with ``:`` -> ``$``; the repository with ``/`` -> ``$``; a tag
encoded by :func:`encode_tag` (Bicep's ``TagEncoder``) or a digest with ``:`` -> ``#``.

The cache root is, in this order: ``--bicep-cache`` (``ParseOptions.bicep_cache``), the
``cacheRootDirectory`` of the nearest ``bicepconfig.json`` above the file, or ``.bicep``
in the home folder (``ParseOptions.home``; the command line passes ``$HOME``).
``br/public:`` is ``mcr.microsoft.com/bicep``; other ``br/<alias>:`` come from
``moduleAliases.br`` of that ``bicepconfig.json``. The cache lives outside the
repository and is named by the pipeline's environment, so reading it is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azbackup_policy.errors import InputError
from azbackup_policy.parsers import ParseContext

CONFIG_NAME = "bicepconfig.json"
PUBLIC_ALIAS = {"registry": "mcr.microsoft.com", "modulePath": "bicep"}
MAX_TAG_LENGTH = 128


@dataclass(frozen=True, slots=True)
class OciReference:
    """``<registry>/<repository>:<tag>`` or ``...@<digest>``."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    def cache_folder(self, root: str) -> str:
        registry = self.registry.replace(":", "$").lower()
        repository = self.repository.replace("/", "$")
        version = encode_tag(self.tag) if self.tag is not None else (
            (self.digest or "").replace(":", "#"))
        return os.path.join(root, "br", registry, repository, version)


def encode_tag(tag: str) -> str:
    """The cache folder name of an OCI tag (Bicep's ``TagEncoder``): the tag, ``$``, then
    a hex bit mask of its upper-case letters (bit i = character i), in 64-bit words from
    the highest; words above the first non-zero one are left out, those below it are
    written with all 16 digits. ``0.20.0`` -> ``0.20.0$``; ``V1`` -> ``V1$1``."""
    if len(tag) > MAX_TAG_LENGTH:
        raise ValueError(f"tag longer than {MAX_TAG_LENGTH} characters")
    mask = sum(1 << i for i, char in enumerate(tag) if char.isupper())
    words = [(mask >> (64 * n)) & (2**64 - 1) for n in range(2)]
    digits, started = "", False
    for word in reversed(words):
        if word or started:
            digits += f"{word:016x}" if started else f"{word:x}"
            started = True
    return f"{tag}${digits}"


class BadReference(ValueError):
    """A ``br:`` reference that cannot be read; the message says why."""


def split_version(text: str) -> tuple[str, str | None, str | None]:
    """``path:tag`` / ``path@digest`` -> (path, tag, digest); the version after the last
    ``/`` (a registry may carry a ``:port``)."""
    cut = text.rfind("/")
    at = text.find("@", cut + 1)
    if at >= 0:
        return text[:at], None, text[at + 1:]
    colon = text.find(":", cut + 1)
    if colon < 0:
        raise BadReference("no tag (':tag') or digest ('@sha256:...')")
    return text[:colon], text[colon + 1:], None


def parse_reference(source: str, aliases: Mapping[str, Any]) -> OciReference:
    """The registry reference of a module path ``br:...`` or ``br/<alias>:...``."""
    if source.startswith("br:"):
        path, tag, digest = split_version(source[3:])
        registry, _, repository = path.partition("/")
    else:
        alias, sep, rest = source[3:].partition(":")
        if not sep:
            raise BadReference("expected 'br/<alias>:<path>:<tag>'")
        entry = aliases.get(alias)
        if entry is None and alias == "public":
            entry = PUBLIC_ALIAS
        if not isinstance(entry, Mapping) or not isinstance(entry.get("registry"), str):
            raise BadReference(f"alias '{alias}' is not in moduleAliases.br of "
                                  f"{CONFIG_NAME}")
        path, tag, digest = split_version(rest)
        prefix = entry.get("modulePath")
        registry = entry["registry"]
        repository = f"{prefix.strip('/')}/{path}" if isinstance(prefix, str) and prefix else path
    if not registry or not repository:
        raise BadReference("expected '<registry>/<repository>'")
    if tag is not None and (not tag or len(tag) > MAX_TAG_LENGTH):
        raise BadReference("the tag must have 1 to 128 characters")
    return OciReference(registry, repository, tag, digest)


# ------------------------------------------------------------------- bicepconfig.json


@dataclass(frozen=True, slots=True)
class BicepConfig:
    """What this tool reads of a ``bicepconfig.json``."""

    file: str | None = None
    aliases: Mapping[str, Any] | None = None
    cache_root: str | None = None  # cacheRootDirectory, made absolute


def find_config(folder: str, context: ParseContext) -> BicepConfig:
    """The nearest ``bicepconfig.json`` at or above ``folder``, inside the scan root."""
    memo: dict[str, BicepConfig] = context.memo.setdefault("bicep.configs", {})
    found = memo.get(folder)
    if found is None:
        found = _search(folder, context)
        memo[folder] = found
    return found


def _search(folder: str, context: ParseContext) -> BicepConfig:
    loader = context.loader
    current = folder
    while loader.inside_roots(current):
        candidate = os.path.join(current, CONFIG_NAME)
        if loader.exists(candidate) and not loader.is_dir(candidate):
            return read_config(candidate, context)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return BicepConfig()


def read_config(path: str, context: ParseContext) -> BicepConfig:
    from azbackup_policy.parsers.arm import jsonc  # bicepconfig.json allows comments

    shown = context.loader.display(path)
    loaded = jsonc.load(context.loader.read_text(path), shown,
                        max_depth=context.options.max_nesting_depth)
    data = loaded.value if isinstance(loaded.value, dict) else {}
    aliases = data.get("moduleAliases")
    br = aliases.get("br") if isinstance(aliases, dict) else None
    root = data.get("cacheRootDirectory")
    if root is not None and not isinstance(root, str):
        raise InputError(shown, 1, 1, "cacheRootDirectory must be a string")
    if isinstance(root, str):  # blank means the default, as in Bicep
        root = _absolute(root, os.path.dirname(path), context.options.home) \
            if root.strip() else None
    return BicepConfig(shown, br if isinstance(br, dict) else {}, root)


def _absolute(path: str, base: str, home: str | None) -> str:
    if home is not None and (path == "~" or path.startswith(("~/", "~\\"))):
        path = os.path.join(home, path[2:])
    return os.path.normpath(os.path.join(base, path))


def cache_root(config: BicepConfig, context: ParseContext) -> str | None:
    options = context.options
    if options.bicep_cache is not None:
        return options.bicep_cache
    if config.cache_root is not None:
        return config.cache_root
    return None if options.home is None else os.path.join(options.home, ".bicep")


def cached_module(source: str, referrer: str, real_folder: str, context: ParseContext
                  ) -> tuple[str | None, str, str]:
    """(the cached ``main.json`` of module ``source`` used by the file ``referrer``, or
    None with the reason it is not followed and a hint)."""
    config = find_config(real_folder, context)
    try:
        reference = parse_reference(source, config.aliases or {})
    except BadReference as exc:
        return None, f"invalid registry reference: {exc}", ""
    restore = f"run `bicep restore {referrer}`"
    root = cache_root(config, context)
    if root is None:
        return None, "registry module: no Bicep module cache known", \
            f"{restore} and give --bicep-cache DIR"
    target = os.path.join(reference.cache_folder(root), "main.json")
    if context.loader.exists(target):
        return target, "", ""
    return None, ("registry module not in the Bicep module cache "
                  f"{context.loader.display(root)}"), restore
