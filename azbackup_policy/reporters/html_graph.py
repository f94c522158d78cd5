"""The estate as a picture: an SVG with VMs on the left, policies in the middle and vaults on
the right, and an edge for each protection.

VMs are ordered by vault, then policy, then name, so that edges run side by side instead of
crossing; unprotected VMs come first, drawn with a dashed black outline. A VM's fill is
its worst finding. A policy sits level with the middle of its VMs and a vault with the
middle of its policies, pushed down where they would overlap. Every name is escaped and
cut to fit, with the full name in the node's ``<title>``.

Past :data:`LIST_LIMIT` VMs a named box per VM no longer fits on a screen: the VMs are then
drawn as small tiles, grouped by the policy that protects them (unprotected VMs first),
one edge from each group to its policy. Every VM is still a node of its own, with its name
in its ``<title>``, and the page's filters dim the tiles they hide.
"""

from __future__ import annotations

from azbackup_policy.reporters.html_estate import EstateView, VmRow, shown, text

ROW = 22  # px between VM nodes
NODE_H = 18
PAD_TOP = 34
X_VM, X_POLICY, X_VAULT = 10, 430, 800
W_VM, W_POLICY, W_VAULT = 260, 240, 220
WIDTH = X_VAULT + W_VAULT + 10
LABEL_CHARS = 38


def _cut(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def vm_order(estate: EstateView) -> list[VmRow]:
    """Unprotected VMs first, then by vault, policy and name (edges run side by side)."""
    def key(row: VmRow) -> tuple[int, str, str, str, str]:
        vault = shown(estate.vault(row.vaults[0]).vault.name) if row.vaults else ""
        policy = shown(estate.policy(row.policies[0]).policy.name) if row.policies else ""
        return (1 if row.protected else 0, vault, policy, shown(row.vm.name), row.node)
    return sorted(estate.vms, key=key)


def _spread(wanted: list[tuple[float, str]], gap: float) -> dict[str, float]:
    """Positions as close to ``wanted`` as possible, at least ``gap`` apart, in order."""
    placed: dict[str, float] = {}
    last = PAD_TOP - gap
    for y, node in sorted(wanted):
        y = max(y, last + gap)
        placed[node] = y
        last = y
    return placed


def layout(estate: EstateView) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """The y of every VM, policy and vault node."""
    vm_y: dict[str, float] = {row.node: float(PAD_TOP + i * ROW)
                              for i, row in enumerate(vm_order(estate))}
    tail = PAD_TOP + len(vm_y) * ROW

    def middle(nodes: list[str], where: dict[str, float], fallback: float) -> float:
        found = [where[n] for n in nodes if n in where]
        return sum(found) / len(found) if found else fallback

    policy_y = _spread([(middle(p.vms, vm_y, tail + i), p.node)
                        for i, p in enumerate(estate.policies)], ROW)
    vault_y = _spread([(middle(v.policies + v.vms, {**policy_y, **vm_y}, tail + i), v.node)
                       for i, v in enumerate(estate.vaults)], ROW * 1.5)
    return vm_y, policy_y, vault_y


def _edge(x1: float, y1: float, x2: float, y2: float, vm: str | None) -> str:
    middle = (x1 + x2) / 2
    data = f' data-vm="{vm}"' if vm else ""
    return (f'<path class="edge"{data} d="M{x1:.0f},{y1:.0f} C{middle:.0f},{y1:.0f} '
            f'{middle:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"/>')


def _node(kind: str, node: str, classes: str, x: float, y: float, width: float,
          label: str, title: str) -> str:
    return (f'<g class="node {kind} {classes}" data-node="{node}">'
            f"<title>{text(title)}</title>"
            f'<rect x="{x}" y="{y - NODE_H / 2:.0f}" width="{width}" height="{NODE_H}" rx="3"/>'
            f'<text x="{x + 6}" y="{y + 4:.0f}">{text(_cut(label))}</text></g>')


LIST_LIMIT = 60
TILE, TILE_GAP, TILES_PER_ROW = 12, 3, 28
X_TILES_POLICY = 40 + TILES_PER_ROW * (TILE + TILE_GAP) + 40


def _open_svg(width: float, height: float, columns: tuple[tuple[float, str], ...]) -> list[str]:
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
            'aria-label="VMs, their backup policies and vaults">']
    head += [f'<text class="col" x="{x:.0f}" y="16">{label}</text>' for x, label in columns]
    return head


def _vm_title(row: VmRow) -> str:
    name = shown(row.vm.name) or row.vm.address
    return f"{name} ({row.vm.address}) in {row.unit}: {row.worst}" + (
        "" if row.protected else ", not backed up")


def _groups(estate: EstateView) -> list[tuple[str | None, list[VmRow]]]:
    """VMs by the policy that protects them (first policy; unprotected first)."""
    groups: dict[str | None, list[VmRow]] = {}
    for row in vm_order(estate):
        key = row.policies[0] if row.policies else (row.vaults[0] if row.vaults else None)
        groups.setdefault(key, []).append(row)
    return list(groups.items())


def render_tiles(estate: EstateView) -> str:
    """The picture of a large estate: VM tiles grouped by policy."""
    parts: list[str] = []
    policy_y: dict[str, float] = {}
    group_edges: list[tuple[float, str]] = []
    y = float(PAD_TOP)
    step = TILE + TILE_GAP
    for key, rows in _groups(estate):
        if key is None:
            heading = f"not backed up: {len(rows)} VMs"
        elif any(p.node == key for p in estate.policies):
            heading = f"{shown(estate.policy(key).policy.name)}: {len(rows)} VMs"
        else:
            heading = f"{shown(estate.vault(key).vault.name)} (no policy): {len(rows)} VMs"
        parts.append(f'<text x="10" y="{y + 4:.0f}">{text(_cut(heading, 60))}</text>')
        top = y + 10
        for index, row in enumerate(rows):
            tx = 10 + (index % TILES_PER_ROW) * step
            ty = top + (index // TILES_PER_ROW) * step
            state = row.worst + ("" if row.protected else " unprotected")
            parts.append(f'<g class="node vm {state}" data-node="{row.node}">'
                         f"<title>{text(_vm_title(row))}</title>"
                         f'<rect x="{tx}" y="{ty:.0f}" width="{TILE}" height="{TILE}" rx="2"/>'
                         "</g>")
        rows_used = (len(rows) + TILES_PER_ROW - 1) // TILES_PER_ROW
        middle = top + rows_used * step / 2
        if key is not None:
            group_edges.append((middle, key))
        y = top + rows_used * step + 18
    for index, policy_row in enumerate(estate.policies):
        wanted = [m for m, k in group_edges if k == policy_row.node]
        policy_y[policy_row.node] = wanted[0] if wanted else y + index * ROW
    policy_y = _spread([(v, k) for k, v in policy_y.items()], ROW)
    vault_y = _spread([(sum(policy_y[p] for p in v.policies) / len(v.policies)
                        if v.policies else y + i * ROW, v.node)
                       for i, v in enumerate(estate.vaults)], ROW * 1.5)
    edges = []
    x_group = 10 + TILES_PER_ROW * step
    for middle, key in group_edges:
        target = policy_y.get(key)
        x_target = X_TILES_POLICY
        if target is None:
            target, x_target = vault_y[key], X_TILES_POLICY + W_POLICY + 120
        edges.append(_edge(x_group, middle, x_target, target, None))
    for policy_row in estate.policies:
        if policy_row.vault is not None:
            edges.append(_edge(X_TILES_POLICY + W_POLICY, policy_y[policy_row.node],
                               X_TILES_POLICY + W_POLICY + 120, vault_y[policy_row.vault], None))
    parts += _policy_and_vault_nodes(estate, policy_y, vault_y, X_TILES_POLICY,
                                     X_TILES_POLICY + W_POLICY + 120)
    width = X_TILES_POLICY + W_POLICY + 120 + W_VAULT + 10
    height = max([y, *policy_y.values(), *vault_y.values()]) + ROW
    columns = ((10.0, f"VMs ({len(estate.vms)}) by policy"),
               (float(X_TILES_POLICY), f"Backup policies ({len(estate.policies)})"),
               (float(X_TILES_POLICY + W_POLICY + 120), f"Vaults ({len(estate.vaults)})"))
    return "\n".join([*_open_svg(width, height, columns), *edges, *parts, "</svg>"])


def _policy_and_vault_nodes(estate: EstateView, policy_y: dict[str, float],
                            vault_y: dict[str, float], x_policy: float,
                            x_vault: float) -> list[str]:
    parts = []
    for policy_row in estate.policies:
        declared = policy_row.policy
        name = shown(declared.name) or declared.address
        parts.append(_node("policy", policy_row.node, "", x_policy, policy_y[policy_row.node],
                           W_POLICY, f"{name} ({shown(declared.policy_type)})",
                           f"{name} ({declared.address}) in {policy_row.unit}"))
    for vault_row in estate.vaults:
        owner = vault_row.vault
        name = shown(owner.name) or owner.address
        parts.append(_node("vault", vault_row.node, "", x_vault, vault_y[vault_row.node],
                           W_VAULT, f"{name} ({shown(owner.redundancy) or '?'})",
                           f"{name} ({owner.address}) in {vault_row.unit}"))
    return parts


def render_graph(estate: EstateView) -> str:
    """The SVG element (its height grows with the estate; the page scrolls it)."""
    if len(estate.vms) > LIST_LIMIT:
        return render_tiles(estate)
    vm_y, policy_y, vault_y = layout(estate)
    height = max([PAD_TOP, *vm_y.values(), *policy_y.values(), *vault_y.values()]) + ROW
    parts = _open_svg(WIDTH, height, ((X_VM, f"VMs ({len(vm_y)})"),
                                      (X_POLICY, f"Backup policies ({len(policy_y)})"),
                                      (X_VAULT, f"Vaults ({len(vault_y)})")))
    for row in estate.vms:
        for policy in row.policies:
            parts.append(_edge(X_VM + W_VM, vm_y[row.node], X_POLICY, policy_y[policy],
                               row.node))
        if not row.policies:
            for vault in row.vaults:
                parts.append(_edge(X_VM + W_VM, vm_y[row.node], X_VAULT, vault_y[vault],
                                   row.node))
    for policy_row in estate.policies:
        if policy_row.vault is not None:
            parts.append(_edge(X_POLICY + W_POLICY, policy_y[policy_row.node], X_VAULT,
                               vault_y[policy_row.vault], None))
    for row in vm_order(estate):
        state = row.worst + ("" if row.protected else " unprotected")
        name = shown(row.vm.name) or row.vm.address
        parts.append(_node("vm", row.node, state, X_VM, vm_y[row.node], W_VM, name,
                           _vm_title(row)))
    parts += _policy_and_vault_nodes(estate, policy_y, vault_y, X_POLICY, X_VAULT)
    parts.append("</svg>")
    return "\n".join(parts)
