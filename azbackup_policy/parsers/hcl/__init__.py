"""Terraform HCL reading: syntax (python-hcl2's Lark grammar), static evaluation, modules.

The public entry point is :func:`azbackup_policy.parsers.terraform_hcl.parse`.
"""
