"""The rule kit: what makes a rule short to write, for built-in policies and plugins alike.

A rule is a :class:`~azbackup_policy.rules.Rule` (metadata plus one pure check). This
module adds the helpers the built-in policies use, so a plugin's rules look the same::

    from azbackup_policy.authoring import flag_when, label, rule_factory, same
    from azbackup_policy.rules import Severity, Target

    rule = rule_factory("organisation")

    @rule("ACME-DSK-001", "standard-hdd-os-disk", Severity.WARNING, (), Target.VM,
          summary="OS disks of protected VMs are not Standard HDD.",
          why="Our restore-time objective needs SSD OS disks.",
          fix="Set the OS disk's storage account type to Premium_LRS.",
          before='os_disk {\\n  storage_account_type = "Standard_LRS"\\n}',
          after='os_disk {\\n  storage_account_type = "Premium_LRS"\\n}',
          protected_only=True)
    def standard_hdd_os_disk(vm, ctx):
        if vm.os_disk is not None:
            yield from flag_when(ctx, vm, "os_disk.storage_type",
                                 same(vm.os_disk.storage_type, "Standard_LRS"),
                                 f"the OS disk of {label(vm)} is Standard HDD",
                                 "the OS disk type")

The pieces:

* :func:`rule_factory` -- a decorator making a :class:`Rule` of one area, with help text
  built by :func:`make_help` (why, the fix, a before/after snippet);
* ``protected_only=True`` (or :func:`protected_only`) -- run a VM check only on VMs that
  have a protected item (most backup rules are about protected VMs);
* ``ctx.matrix`` -- the support-matrix data, typed (:class:`~azbackup_policy.matrix.Matrix`):
  ``ctx.matrix.disks.max_disks_per_vm``; a rule never writes a limit of its own;
* tri-state helpers: :func:`same`, :func:`one_of` answer ``True``/``False`` or the
  :class:`~azbackup_policy.model.Unknown` itself, never a guess; :func:`review` makes the
  strict-mode *could-not-verify* review of an unknown value, :func:`flag_when` does the
  whole "flag when a field has this value, review when unknown" check;
* :func:`fill_matrix` -- ``{matrix.disks.max_disks_per_vm}`` in a summary, ``why`` or
  ``fix`` is replaced by the data (the factory does it), so a matrix revision changes the
  texts and the checks together;
* :func:`observe` and :func:`label` -- an observation placed on the attribute's line, and a
  readable name for a model object.

To test rules, see :mod:`azbackup_policy.testing`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from azbackup_policy.matrix import Matrix, builtin_matrix
from azbackup_policy.model import Disk, ModelObject, NetworkInterface, Unknown, VirtualMachine
from azbackup_policy.rules import Check, Observation, Rule, RuleContext, Severity, Target

Tri = bool | Unknown
"""A tri-state answer: ``True``, ``False`` or the :class:`Unknown` that prevents knowing."""
RuleMaker = Callable[[Check], Rule]


def make_help(why: str, fix: str, before: str, after: str, lang: str = "hcl") -> str:
    """Help text: why, the fix, and a before/after snippet (Markdown)."""
    return (
        f"{why.strip()}\n\n**Fix:** {fix.strip()}\n\n"
        f"Before:\n\n```{lang}\n{before.strip()}\n```\n\n"
        f"After:\n\n```{lang}\n{after.strip()}\n```\n"
    )


_PLACEHOLDER = re.compile(r"\{matrix\.([A-Za-z0-9_.]+)(?:\|(\w+))?\}")


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _matrix_value(path: str, matrix: Matrix) -> object:
    node: object = matrix
    for part in path.split("."):
        node = node[part] if isinstance(node, Mapping) else getattr(node, part)
    return node


_FILTERS: dict[str, Callable[[Any], str]] = {
    "tib": lambda gib: _text(gib // 1024),  # GiB -> TiB
    "or": lambda items: ", ".join(map(_text, items[:-1])) + " or " + _text(items[-1]),
    "and": lambda items: ", ".join(map(_text, items[:-1])) + " and " + _text(items[-1]),
    "slash": lambda items: "/".join(map(_text, items)),
}


def fill_matrix(text: str, matrix: Matrix | None = None) -> str:
    """``text`` with each ``{matrix.<path>}`` replaced by that value of the matrix data
    (``{matrix.disks.max_disks_per_vm}`` -> ``32``), so rule texts quote the data rather
    than copy it. ``{matrix.<path>|f}`` formats it: ``tib`` (GiB as TiB), ``or`` / ``and``
    (a list in words), ``slash``. An unknown path raises (at import, when a rule is made)."""
    data = matrix or builtin_matrix()

    def value(match: re.Match[str]) -> str:
        found = _matrix_value(match.group(1), data)
        return _FILTERS[match.group(2)](found) if match.group(2) else _text(found)

    return _PLACEHOLDER.sub(value, text)


def protected_only(check: Check) -> Check:
    """``check`` run only on VMs that have a protected item (nothing for the others)."""

    def guarded(vm: VirtualMachine, ctx: RuleContext) -> Iterator[Observation]:
        if ctx.estate.protections_of(vm):
            yield from check(vm, ctx)

    guarded.__name__ = getattr(check, "__name__", "check")
    guarded.__doc__ = check.__doc__
    return guarded


def rule_factory(area: str, *, article_date: str | None = None,
                 rationale: Callable[[str], str] | None = None) -> Callable[..., RuleMaker]:
    """A decorator factory that turns a check function into a :class:`Rule` of ``area``.

    ``article_date`` is the date of the Microsoft article the rules follow (default: the
    date of the matrix data, ``ctx.matrix.article.date``);
    ``rationale(rule_id)`` gives a rule's severity rationale (built-in policies keep them
    in one table). The decorator takes the rule's id, name, severity, matrix rows and
    target, then ``summary``, ``why``, ``fix``, ``before``, ``after`` (``lang`` of the
    snippets, default HCL), ``protected_only`` (see :func:`protected_only`) and ``tags``
    (``("security",)`` for a rule whose matrix row is about encryption or access: SARIF
    then marks its results as security findings).
    """

    def define(rule_id: str, name: str, severity: Severity, rows: Sequence[str],
               target: Target, *, summary: str, why: str, fix: str, before: str, after: str,
               lang: str = "hcl", protected_only: bool = False,
               tags: Sequence[str] = ()) -> RuleMaker:
        def wrap(check: Check) -> Rule:
            return Rule(
                id=rule_id, name=name, area=area, severity=severity, matrix_rows=tuple(rows),
                summary=fill_matrix(summary),
                help=make_help(fill_matrix(why), fill_matrix(fix), before, after, lang),
                target=target,
                check=_protected_only(check) if protected_only else check,
                article_date=article_date or builtin_matrix().article.date,
                severity_rationale=rationale(rule_id) if rationale else "", tags=tuple(tags),
            )

        return wrap

    return define


_protected_only = protected_only


def label(obj: ModelObject) -> str:
    """The Azure name when known, else the address."""
    return obj.name if isinstance(obj.name, str) else (obj.address or "?")


def same(value: object, expected: str) -> Tri:
    """Case-insensitive equality; Unknown stays Unknown, None is False."""
    if isinstance(value, Unknown):
        return value
    return isinstance(value, str) and value.lower() == expected.lower()


def one_of(value: object, options: Sequence[str]) -> Tri:
    """Case-insensitive membership; Unknown stays Unknown, None is False."""
    if isinstance(value, Unknown):
        return value
    return isinstance(value, str) and value.lower() in {o.lower() for o in options}


def _relocate(
    subject: ModelObject, attribute: str | None, vm: VirtualMachine | None
) -> tuple[ModelObject, str | None]:
    """Findings about a disk or NIC name the resource that declares it, with a path relative
    to it, so that the finding points at the attribute's line.

    A standalone disk or NIC resource (it has an address) is reported with the field
    relative to it (``max_shares``, ``ip_configurations.0.allocation``); an inline one on its
    VM with the VM-relative path (``os_disk.ephemeral``). When only the other one has a span
    for the attribute (linkers record spans where they read the value), that one is used.
    """
    if not isinstance(subject, (Disk, NetworkInterface)) or vm is None:
        return subject, attribute
    rest = re.sub(r"^(os_disk|data_disks\.\d+|nics\.\d+)\.?", "", attribute or "") or None
    options: list[tuple[ModelObject, str | None]] = [(vm, attribute)]
    if subject.address:
        options.insert(0, (subject, rest))
    for obj, attr in options:
        if attr is not None and attr in obj.attr_spans:
            return obj, attr
    return options[0]


def observe(
    subject: ModelObject, message: str, attribute: str | None, vm: VirtualMachine | None = None,
    severity: Severity | None = None,
) -> Observation:
    """A violation about ``attribute`` (a model path: ``os_disk.caching``) of ``subject``;
    ``severity`` when this case is less severe than the rule (a degraded variant)."""
    subject, attribute = _relocate(subject, attribute, vm)
    return Observation(subject=subject, message=message, attribute=attribute, vm=vm,
                       severity=severity)


def review(
    ctx: RuleContext,
    subject: ModelObject,
    value: object,
    what: str,
    attribute: str | None,
    vm: VirtualMachine | None = None,
) -> Iterator[Observation]:
    """A could-not-verify review (strict mode) when ``value`` is Unknown; else nothing."""
    if isinstance(value, Unknown):
        subject, attribute = _relocate(subject, attribute, vm)
        yield from ctx.unknown(subject, value, what, attribute=attribute, vm=vm)


def flag_when(ctx: RuleContext, subject: ModelObject, attribute: str, verdict: Tri,
              message: str, what: str, vm: VirtualMachine | None = None) -> Iterator[Observation]:
    """The unknown-aware field test: a violation ``message`` when ``verdict`` is True, a
    review of ``what`` when it is Unknown, nothing when False."""
    if isinstance(verdict, Unknown):
        yield from review(ctx, subject, verdict, what, attribute, vm)
    elif verdict:
        yield observe(subject, message, attribute, vm)
