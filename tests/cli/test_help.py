"""Every command's --help says what it does with an example that parses; shell completion
answers through argcomplete's own protocol."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from lane_tasks import cli
from lane_tasks.cli.help import HELP, commands
from lane_tasks.cli.parser import build_parser, resolve_handler

SCRIPT = Path(sys.executable).with_name("lane-tasks")


def test_every_command_has_a_help_entry() -> None:
    """A command added to the parser without a description and example fails here."""
    assert set(commands(build_parser())) == set(HELP)


@pytest.mark.parametrize("path", sorted(HELP), ids=" ".join)
def test_help_page_says_what_with_an_example(
    path: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([*path, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    description, example = HELP[path]
    assert " ".join(description.split()) in " ".join(out.split())
    assert f"example:\n  {example}\n" in out  # kept on its own line, not re-wrapped


@pytest.mark.parametrize("path", sorted(HELP), ids=" ".join)
def test_help_examples_parse_with_the_real_parser(path: tuple[str, ...]) -> None:
    """Examples cannot rot: each one is a valid invocation of its own command."""
    argv = shlex.split(HELP[path][1])
    assert argv[0] == "lane-tasks"
    assert tuple(argv[1 : 1 + len(path)]) == path
    args = build_parser().parse_args(argv[1:])  # a bad example exits 2 here
    assert callable(resolve_handler(args.handler))  # the handler it names exists


def _complete(line: str) -> list[str]:
    """What the shell gets for `line<TAB>`: the entry point run as bash's completion hook runs
    it (argcomplete's protocol: _ARGCOMPLETE, COMP_LINE, COMP_POINT, the answer on fd 8)."""
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\v",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
    }
    r = subprocess.run(
        ["bash", "-c", f"{shlex.quote(str(SCRIPT))} 8>&1 1>/dev/null 2>/dev/null"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert r.returncode == 0, r
    return [c.strip() for c in r.stdout.split("\v")]  # a lone match ends with a space


def test_shell_completion_completes_commands_and_options() -> None:
    assert _complete("lane-tasks ga") == ["gate"]
    assert _complete("lane-tasks gate fast --no-c") == ["--no-cache"]


@pytest.mark.e2e
def test_completion_costs_nothing_at_normal_start_up() -> None:
    """argcomplete is imported only when a shell asks for completions."""
    code = (
        "import sys\nfrom lane_tasks.cli import main\nmain(['controls', 'list'])\n"
        "assert 'argcomplete' not in sys.modules, 'imported at start-up'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_entry_point_module_carries_the_argcomplete_marker() -> None:
    """register-python-argcomplete completes only scripts whose module has the marker in its
    first 1024 bytes."""
    head = Path(cli.__file__).read_bytes()[:1024]
    assert b"PYTHON_ARGCOMPLETE_OK" in head
