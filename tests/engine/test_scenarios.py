"""The analysts' scenarios (processes/scenarios) pass on the real engine; a wrong one fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.scenarios.runner import run_file, run_paths
from tests.engine.driver import ROOT, library

SCENARIOS = ROOT / "processes" / "scenarios"


def test_every_shipped_scenario_passes():
    lines = []
    passed, failed = run_paths([SCENARIOS], library(), out=lines.append)
    assert failed == 0, "\n".join(lines)
    assert passed >= 9
    assert lines[-1] == f"{passed} passed, 0 failed"


def test_a_scenario_with_a_wrong_expectation_fails(tmp_path):
    text = (SCENARIOS / "b_proposition_cpms_parents_defavorables.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        text.replace("status: proposition_refusee", "status: ipt_en_place"), encoding="utf-8"
    )
    result = run_file(wrong, library())
    assert not result.ok and "status" in result.detail


def test_a_scenario_expecting_an_error_that_does_not_happen_fails(tmp_path):
    text = (SCENARIOS / "a_proposition_parents_cpms_defavorable.yaml").read_text(encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        text.replace(
            "data: {date_avis: 2026-01-16, avis: defavorable}\n",
            "data: {date_avis: 2026-01-16, avis: favorable}\n",
        ),
        encoding="utf-8",
    )
    result = run_file(wrong, library())
    assert not result.ok and "erreur était attendue" in result.detail


def test_cli_prints_the_closing_line():
    out = subprocess.run(
        [sys.executable, "-m", "ipt", "scenarios", "run", str(SCENARIOS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1].endswith("passed, 0 failed")


def test_cli_fails_on_a_failing_scenario(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        Path(SCENARIOS / "d2_reprise_interruption_moins_d_un_an.yaml")
        .read_text(encoding="utf-8")
        .replace("R-ELIG-2}}", "R-ELIG-1}}"),
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "ipt", "scenarios", "run", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 1
    assert out.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"
