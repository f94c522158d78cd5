"""Shell completion scripts (bash, zsh, fish), generated from the command line's grammar.

``azbackup-policy completion bash`` prints the script; the commands, options and option
values come from :func:`~azbackup_policy.cli_parser.build_parser`, so they never drift.
Paths complete as files.
"""

from __future__ import annotations

import argparse

from azbackup_policy.cli_parser import SCAN_FORMATS, command_parsers, options_of

PROG = "azbackup-policy"
_FUNCTION = "_azbackup_policy"


def _grammar(parser: argparse.ArgumentParser) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """Per command: (option, values); ``scan --format`` offers the built-in formats."""
    return {name: [(flag, choices or (SCAN_FORMATS if flag == "--format" else ()))
                   for flag, choices in options_of(sub)]
            for name, sub in command_parsers(parser).items()}


def bash(parser: argparse.ArgumentParser) -> str:
    grammar = _grammar(parser)
    cases = []
    for name, options in grammar.items():
        values = [f'        {flag}) COMPREPLY=($(compgen -W "{" ".join(choices)}" -- "$cur")); '
                  "return;;" for flag, choices in options if choices]
        flags = " ".join(flag for flag, _ in options)
        cases.append(f"    {name})\n      case \"$prev\" in\n" + "\n".join(values)
                     + f'\n      esac\n      opts="{flags}";;')
    return f"""# bash completion for {PROG}: source it, or save it as
# ~/.local/share/bash-completion/completions/{PROG}
{_FUNCTION}() {{
  local cur prev cmd opts i
  cur="${{COMP_WORDS[COMP_CWORD]}}"
  prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "${{COMP_WORDS[i]}}" in -*) ;; *) cmd="${{COMP_WORDS[i]}}"; break;; esac
  done
  if [ -z "$cmd" ]; then
    COMPREPLY=($(compgen -W "{" ".join(grammar)} --version --help" -- "$cur"))
    return
  fi
  case "$cmd" in
{chr(10).join(cases)}
    *) opts="";;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}}
complete -o filenames -F {_FUNCTION} {PROG}
"""


def zsh(parser: argparse.ArgumentParser) -> str:
    return f"""#compdef {PROG}
# zsh completion for {PROG}: save as _{PROG} in a folder of $fpath, or source it.
autoload -U +X bashcompinit && bashcompinit
{bash(parser)}"""


def fish(parser: argparse.ArgumentParser) -> str:
    grammar = _grammar(parser)
    lines = [f"# fish completion for {PROG}: save as ~/.config/fish/completions/{PROG}.fish",
             f"complete -c {PROG} -f -n __fish_use_subcommand -l version -d 'print the version'"]
    for name, sub in command_parsers(parser).items():
        lines.append(f"complete -c {PROG} -f -n __fish_use_subcommand -a {name} "
                     f"-d '{(sub.description or '').replace(chr(39), '')}'")
    for name, options in grammar.items():
        condition = f"'__fish_seen_subcommand_from {name}'"
        for flag, choices in options:
            switch = f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}"
            values = f" -x -a '{' '.join(choices)}'" if choices else ""
            lines.append(f"complete -c {PROG} -n {condition} {switch}{values}")
    return "\n".join(lines) + "\n"


SCRIPTS = {"bash": bash, "zsh": zsh, "fish": fish}


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    return SCRIPTS[shell](parser)
