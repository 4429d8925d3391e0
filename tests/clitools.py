"""Running the console script as a user does, and what a clean refusal looks like."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(sys.executable).parent / "nakpump"  # the console script pip installed


def command(*args) -> list[str]:
    """The command line that runs `nakpump args…` (python -m nakpump.cli where the console
    script is not installed)."""
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "nakpump.cli", *args]


def nakpump(*args, cwd=None):
    """Run the installed console script; the finished process."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(command(*args), capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=600)


def assert_clean_error(proc, *fragments, status=2):
    """One line on stderr (no traceback), exit status `status`, each fragment in the line."""
    assert proc.returncode == status, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if not line.startswith(
        "nakpump: warning:")]
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


def invoke(*args):
    """Run `nakpump args…` in this process (typer's CliRunner): fast, for many cases. The
    result has exit_code, stdout, stderr and exception (SystemExit when the command
    exited; anything else escaped it)."""
    from typer.testing import CliRunner

    from nakpump.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def assert_refused(result, *fragments, status=2):
    """invoke()'s result is a clean refusal: status, one error line naming each fragment."""
    assert isinstance(result.exception, SystemExit | None), repr(result.exception)
    assert result.exit_code == status, (result.exit_code, result.stderr, result.stdout)
    lines = [line for line in result.stderr.splitlines()
             if not line.startswith("nakpump: warning:")]
    assert len(lines) == 1 and lines[0].startswith("nakpump: "), result.stderr
    assert len(lines[0]) < 800, lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
