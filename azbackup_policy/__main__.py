"""``python -m azbackup_policy`` runs the command line."""

from azbackup_policy.cli import console_main

if __name__ == "__main__":
    console_main()
