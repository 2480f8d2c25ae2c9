"""`python -m bench --help` starts fast: sub-commands are imported only when they run.

Issue 18 measured `import bench.cli.main` at 1.2 s: every sub-command module was imported to mount
it, and with them pandas, the SDK and an HTTP client. The top-level help now lists them from
their source (docstrings read without importing). What is asserted is which modules a fresh
interpreter imported (the subject is a new process, so a subprocess), never a time.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
from typer.testing import CliRunner

cli = importlib.import_module("bench.cli.main")  # bench.cli.main the module, not main() the function

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "altair", "openai", "httpx", "foundry_local_sdk", "scipy", "onnxruntime")

PROBE = """
import json, sys
from typer.testing import CliRunner
from bench.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(os_heavy)))
print(json.dumps({"exit": result.exit_code, "heavy": heavy, "out": result.output}))
"""


def _fresh(*args: str) -> dict:
    code = f"os_heavy = {json.dumps(json.dumps(HEAVY))}\n" + PROBE
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_top_level_help_lists_every_command_without_importing_a_heavy_module():
    got = _fresh("--help")
    assert got["exit"] == 0
    assert got["heavy"] == []
    for name in (*cli.LAZY_COMMANDS, *cli.PLUGIN_COMMANDS, "run", "report", "runs"):
        assert f" {name} " in got["out"], name


def test_a_sub_command_is_imported_when_it_runs_and_its_help_is_its_own():
    got = _fresh("compare", "--help")
    assert got["exit"] == 0 and "compare [OPTIONS] {base} {new}" in got["out"]
    assert "--fail-on" in got["out"]  # its own options, from its own module


def test_the_listed_help_of_each_lazy_command_is_the_loaded_command_s_help():
    """The stand-in reads the docstring from source; it must say what the command itself says."""
    group = click.Group()
    ctx = click.Context(group)
    lazy = cli._LazyGroup()
    for name in (*cli.LAZY_COMMANDS, *cli.PLUGIN_COMMANDS):
        listed = lazy.get_command(ctx, name)
        loaded = cli.load_command(name)
        assert listed is not None and listed.help, name
        assert listed.help.split("\n\n")[0].split() == (loaded.help or "").split("\n\n")[0].split(), name


def test_every_command_still_runs_in_process():
    runner = CliRunner()
    for name in (*cli.LAZY_COMMANDS, *cli.PLUGIN_COMMANDS):
        result = runner.invoke(cli.app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Usage:" in result.output and name in result.output


REPORT_PROBE = """
import json, sys
sys.path.insert(0, "tests")
import numpy as np
from typer.testing import CliRunner
from synthetic_runs import latencies, store_run
from bench.store.store import Store
from bench.cli.main import app
rng = np.random.default_rng(3)
run = store_run(Store(sys.argv[1]), {"a": latencies(rng, 0.5, 40), "b": latencies(rng, 0.6, 40)})
before = set(sys.modules)
codes = [CliRunner().invoke(app, ["report", run, "--format", f, "--db", sys.argv[1]]).exit_code
         for f in ("md", "csv", "json")]
print(json.dumps({"codes": codes, "loaded": sorted({m.split(".")[0] + "." + m.split(".")[1]
      for m in set(sys.modules) - before if m.count(".") and m.split(".")[0] in ("scipy", "statsmodels")})}))
"""


def test_the_md_csv_and_json_reports_import_neither_scipy_stats_nor_statsmodels(tmp_path: Path):
    """Their import alone was over a second of every report (Theil-Sen and Wilson are numpy now)."""
    proc = subprocess.run(
        [sys.executable, "-c", REPORT_PROBE, str(tmp_path / "bench.db")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["codes"] == [0, 0, 0]
    assert "scipy.stats" not in got["loaded"] and not [
        m for m in got["loaded"] if m.startswith("statsmodels")
    ]
