"""Why each built-in rule has its severity (the scale is in docs/severity.md):

* error = backup or restore fails, or the setup is unsupported (Microsoft's text says so);
* warning = backup works but degraded or at risk;
* note = information (a restore limit or a condition to know).

Each entry starts with the rule's severity; ``rule_factory`` puts it into the rule's metadata
(``Rule.severity_rationale``) and tests/test_severity.py checks every rule has one that agrees
with its severity. A case that degrades instead of failing is reported one step lower by the
rule itself (``Observation.severity``); the rationale says when.
"""

from __future__ import annotations

RATIONALE: dict[str, str] = {
    "BKP-ACT-001": (
        "error: A6 requires the vault in the VM's region; protection cannot be configured "
        "across regions."),
    "BKP-ACT-002": (
        "warning: A7 supports cross-subscription backup in the same tenant and region, but the "
        "setup is easy to get wrong and the vault can't be moved afterwards: at risk, not "
        "failing."),
    "BKP-ACT-003": (
        "error: A3 and the FAQ: with the instant-restore group locked old points can't be "
        "pruned and backups fail once the limit is reached."),
    "BKP-ACT-004": "error: EP6: moving an item from Enhanced back to Standard is rejected.",
    "BKP-CMP-001": (
        "error: C1 supports VMs with at least 2 cores and 1 GB; smaller sizes are unsupported."),
    "BKP-CMP-002": (
        "error: C18: a Standard policy protects Trusted Launch only through API 2025-01-01 or "
        "newer; older clients fail."),
    "BKP-CMP-003": (
        "note: C18 supports the combination with recent clients; the conditions are "
        "information."),
    "BKP-CMP-004": (
        "error: C18: converting a Standard-protected VM to Trusted Launch fails unless it moves "
        "to Enhanced first."),
    "BKP-CMP-005": (
        "error: C18: data disks with a Trusted Launch or Confidential security type are not "
        "supported."),
    "BKP-CMP-006": (
        "warning: C8: 'Create new' restore fails for such VMs but other restore paths work: "
        "degraded."),
    "BKP-CMP-007": (
        "error: C16: only Flexible-orchestration scale set VMs can be backed up; Uniform "
        "instances are unsupported."),
    "BKP-CMP-008": (
        "warning: C12: backup works; the VM is restored as a regular VM, not as Spot: degraded "
        "restore."),
    "BKP-CMP-009": (
        "note: C13: supported; restore takes extra steps (restore disks, recreate on the host)."),
    "BKP-CMP-010": (
        "note: C2/VM7: supported; quick restore cannot place the VM in its availability set."),
    "BKP-CMP-011": (
        "warning: C4/A17: backup works but the VM can be restored only as disks: degraded "
        "restore."),
    "BKP-CMP-012": "error: A14: Extended Zone VMs are supported only with the Enhanced policy.",
    "BKP-CMP-013": (
        "warning: C16: nothing in a Uniform scale set can be backed up; it is reported only "
        "when a protected item or the organisation wants it protected, and the scale set itself "
        "still runs: at risk."),
    "BKP-COV-001": (
        "warning: an unprotected VM is a risk, not a failure of the service (an organisation "
        "can raise it to error with require-protection)."),
    "BKP-COV-002": (
        "error: on a Standard policy backups fail without the VM agent. On an Enhanced "
        "app-consistent policy the service falls back to crash-consistent snapshots (S13 FAQ), "
        "so that case is reported as a warning."),
    "BKP-COV-003": (
        "error: on a Standard policy the snapshot extension can't be installed and backups "
        "fail. On an Enhanced app-consistent policy the service falls back to crash-consistent "
        "snapshots (S13 FAQ), so that case is reported as a warning."),
    "BKP-COV-006": (
        "warning: a module or linked template that was not read hides its VMs from every "
        "check: the result is incomplete, at risk."),
    "BKP-COV-004": (
        "error: a policy belongs to one vault; the deployment of the protected item fails."),
    "BKP-COV-005": (
        "warning: a LUN the VM does not have is a likely typo; backup still runs, but not with "
        "the disks you meant (not a matrix failure)."),
    "BKP-FLR-001": (
        "note: FL7: file-level restore is unavailable from these disks; other restores work."),
    "BKP-FRQ-001": (
        "error: A16/EP3: hourly schedules exist only in Enhanced policies; a Standard policy is "
        "rejected."),
    "BKP-FRQ-002": (
        "error: A16/EP8 list the accepted intervals (and EP17 azurerm's); another interval is "
        "rejected."),
    "BKP-FRQ-003": (
        "error: EP8 bounds the window to 4-24 h and EP17 (azurerm) requires a multiple of the "
        "interval; the policy is rejected."),
    "BKP-FRQ-004": (
        "error: A11: only Hourly, Daily and Weekly schedules exist; another frequency is "
        "rejected."),
    "BKP-FRQ-005": "error: F14: Standard snapshot retention outside 1-5 days is rejected.",
    "BKP-FRQ-006": (
        "error: F14: weekly Standard policies must keep snapshots 5 days; another value is "
        "rejected."),
    "BKP-FRQ-007": "error: EP9: Enhanced snapshot retention outside 1-30 days is rejected.",
    "BKP-FRQ-008": "error: A16/EP9 give the ceiling for these snapshots per day; more is rejected.",
    "BKP-FRQ-009": (
        "warning: the docs give no ceiling for this count; the value may be rejected: at risk."),
    "BKP-FRQ-010": (
        "error: S12: Enhanced snapshot retention can't exceed vault retention; the policy is "
        "rejected."),
    "BKP-FRQ-011": (
        "warning: F17: vault retention shorter than snapshot retention on a Standard policy is "
        "degraded, not documented as rejected."),
    "BKP-FRQ-012": "error: F9: daily retention outside 7-9999 days is rejected.",
    "BKP-FRQ-013": "error: F10: weekly retention above 5163 weeks is rejected.",
    "BKP-FRQ-014": "error: F11: monthly retention above 1188 months is rejected.",
    "BKP-FRQ-015": "error: F2/F12: yearly retention above 99 years is rejected.",
    "BKP-FRQ-016": (
        "warning: F1 caps an item at 9999 points; the count is an estimate, so passing it is a "
        "risk, not a certain failure."),
    "BKP-FRQ-017": (
        "error: F6/EP17: the schedule's own retention tier is required; the policy is rejected "
        "without it."),
    "BKP-FRQ-018": (
        "note: A12: backups keep running at the same UTC time; the shift is information."),
    "BKP-FRQ-019": "error: F16: a policy protects at most 100 VMs; more are rejected.",
    "BKP-FRQ-020": "error: F16: a vault protects at most 1000 VMs; more are rejected.",
    "BKP-FRQ-021": "error: EP1: a mixed V1/V2 policy is rejected by the service.",
    "BKP-FRQ-022": (
        "warning: EP13 offers the Enhanced policy in public and US Government regions; "
        "elsewhere it is not documented: at risk."),
    "BKP-LNX-001": (
        "error: OL2: CoreOS is unsupported by agent-based backup, so backups on a Standard "
        "policy fail. On an Enhanced app-consistent policy the service falls back to "
        "crash-consistent snapshots (S13 FAQ): reported as a warning."),
    "BKP-LNX-002": (
        "warning: OL1: other distributions may work with the Linux agent and Python: at risk."),
    "BKP-LNX-003": (
        "error: L1: with /var or /var/lib noexec the extension's scripts can't run and backups "
        "fail."),
    "BKP-LNX-004": (
        "warning: A18 calls VMs running Docker containers not supported, but the disks are "
        "still backed up; container data is at risk."),
    "BKP-LNX-005": "note: OL7: NFS shares are not backed up with the VM; information.",
    "BKP-LNX-006": "error: L6: ZFS pool configurations are not supported by Azure Backup.",
    "BKP-MDC-001": (
        "error: M2: crash-consistent-only policies exist only as Enhanced policies; rejected "
        "otherwise."),
    "BKP-MDC-002": "error: M5: these disks are unsupported by agentless crash-consistent backup.",
    "BKP-MDC-003": (
        "error: M5: ephemeral OS disks are unsupported by agentless crash-consistent backup."),
    "BKP-MDC-004": "error: M3: only premium-storage-capable sizes are supported.",
    "BKP-MDC-005": (
        "error: M6: Azure Boost sizes are unsupported by agentless crash-consistent backup."),
    "BKP-MDC-006": (
        "warning: M8: host caching can leave data out of a crash-consistent point: degraded "
        "consistency."),
    "BKP-MDC-007": (
        "warning: M1 lists public regions; elsewhere availability is not documented: at risk."),
    "BKP-MDC-008": (
        "error: M10/SE11: Confidential VMs are unsupported by agentless crash-consistent "
        "backup."),
    "BKP-NET-001": (
        "warning: N7: the restored VM gets a dynamic IP; applications that need the static one "
        "break until it is set again: degraded restore."),
    "BKP-NET-002": "note: N2-N4: supported with special restore steps.",
    "BKP-NET-003": "note: N5: public IPs must be attached again after restore.",
    "BKP-NET-004": "note: N9: supported; the restored VM is re-added to the profile by hand.",
    "BKP-NET-005": (
        "warning: N13 says the firewall of a storage account used by backup should permit all "
        "networks and FL3 rules out file-level restore from network-restricted accounts: "
        "backup and restore are at risk and file restore is lost, not the whole backup. When "
        "the account lets trusted Azure services through (which the storage firewall article "
        "says is enough for unmanaged-disk backup and restore; the matrix does not say) it is "
        "reported as a note."),
    "BKP-ORG-001": (
        "error: opt-in organisation requirement; the organisation declared it mandatory."),
    "BKP-ORG-002": (
        "error: opt-in organisation requirement; the organisation declared it mandatory."),
    "BKP-ORG-003": (
        "error: opt-in organisation requirement; the organisation declared it mandatory."),
    "BKP-ORG-004": (
        "error: opt-in organisation requirement; the organisation declared it mandatory."),
    "BKP-ORG-005": (
        "error: opt-in organisation requirement; the organisation declared it mandatory."),
    "BKP-ORG-006": (
        "warning: an opt-out without a reason is a governance risk, not a backup failure."),
    "BKP-PPS-001": (
        "note: PP1/OL6: crash-consistent backup of an Oracle VM is supported; the pre/post "
        "scripts simply don't run."),
    "BKP-RST-001": "note: FL2/R3/R5/R6: ADE VMs are supported with restore limits to know.",
    "BKP-RST-002": "note: ST5/R5/R6: CMK disks are supported with restore limits to know.",
    "BKP-RST-003": "note: C17: the identity is not restored by Cross Region Restore; reassign it.",
    "BKP-RST-004": "note: R6: cross-zonal restore needs a ZRS or CRR vault; other restores work.",
    "BKP-SEC-001": "warning: C19/SE12: Confidential VM backup is a preview: at risk.",
    "BKP-SEC-002": "error: SE9: outside the preview regions CVM backup is unsupported.",
    "BKP-SEC-003": "error: SE8: only v6 CVM sizes are supported.",
    "BKP-SEC-004": "error: SE11: only OS-disk confidential encryption is supported.",
    "BKP-SEC-005": (
        "warning: SE11: backup works; Cross Region Restore does not cover the CVM: degraded."),
    "BKP-SEC-006": "error: A7: cross-subscription backup of CVMs is unsupported.",
    "BKP-SEC-007": (
        "warning: SE10: more than 40 disks per encryption set may fail backups: at risk."),
    "BKP-SEC-008": (
        "warning: EP3: the evidence that a Standard policy fails for a Confidential VM is "
        "indirect (the CVM article routes through the Enhanced policy): at risk."),
    "BKP-STO-001": "error: ST14/EP2: Ultra Disks are supported only with the Enhanced policy.",
    "BKP-STO-002": "error: ST15/EP2: Premium SSD v2 is supported only with the Enhanced policy.",
    "BKP-STO-003": (
        "note: ST17: ephemeral OS disks are supported by standard backup (2026 matrix); only "
        "MDCC excludes them."),
    "BKP-STO-004": "error: ST1: more than 32 disks is unsupported.",
    "BKP-STO-005": "error: ST2: disks above 64 TiB are unsupported.",
    "BKP-STO-006": "error: ST2: VMs above 512 TiB are unsupported.",
    "BKP-STO-007": "error: ST1: VMs on unmanaged disks can't be backed up.",
    "BKP-STO-008": "error: ST1: classic VM backup is no longer available.",
    "BKP-STO-009": (
        "error: ST13: shared disks can't be backed up with the VM; protection fails unless they "
        "are excluded."),
    "BKP-STO-010": "error: ST13/EP7: excluding a shared disk needs the Enhanced policy.",
    "BKP-STO-011": "error: ST21/EP4: disks with Entra data-access authentication are unsupported.",
    "BKP-STO-012": (
        "warning: ST6: write-accelerated data disks are supported with limits; backup works. "
        "Write acceleration on the OS disk is reported as an error (FAQ: only data disks are "
        "snapshotted)."),
    "BKP-STO-013": "note: ST23: performance-plus is dropped by a vault-tier restore; information.",
    "BKP-STO-014": (
        "warning: ST14/ST15 + FAQ: outside the listed regions GRS/CRR for these disks is not "
        "supported; backup in the primary region still works: at risk."),
    "BKP-STO-015": (
        "error: ST5/EP15: selective disk backup of ADE VMs is rejected "
        "(UserErrorEncryptedVmNotSupportedWithDiskEx)."),
    "BKP-STO-016": (
        "note: ST19: fails only if the guest uses dynamic spanned/striped volumes, which IaC "
        "can't show."),
    "BKP-STO-017": "error: ST3 lists the supported disk types; others are unsupported.",
    "BKP-VMM-001": "note: VM1/R5: a restore option is unavailable; backup is unaffected.",
    "BKP-VMM-003": (
        "error: R4: Cross Region Restore needs a GeoRedundant vault; the setting is rejected "
        "otherwise."),
    "BKP-VMM-002": (
        "note: VM2/R4: a GRS vault without CRR can't restore in the paired region; information."),
    "BKP-WIN-001": (
        "warning: W1/C2: these versions were dropped from the supported list; backup usually "
        "still runs but is no longer supported by Microsoft: at risk."),
    "BKP-WIN-002": "note: W1: an unrecognised SKU may be a supported version; verify it.",
}
