"""Built-in policy modules, one per area of the Azure VM backup support matrix.

Installed as ``azbackup_policy.policies``; each module is registered as an entry
point in the ``azbackup_policy`` group, the same path third-party plugins use.
"""
