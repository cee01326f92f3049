"""An invalid diagram stops start-up with one message naming file, element and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def broken(tmp_path):
    copy = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", copy)
    bpmn = copy / "mise_en_place.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    bpmn.write_text(
        text.replace(
            "attending_since_oct15 = bool(", "import os\nattending_since_oct15 = bool(", 1
        ),
        encoding="utf-8",
    )
    return copy


def test_cli_validate_names_file_element_and_line(broken):
    out = subprocess.run(
        [sys.executable, "-m", "ipt", "processes", "validate", str(broken)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 1
    message = out.stderr.strip()
    assert message.startswith("Erreur : processes/mise_en_place.bpmn")
    assert "calculer_eligibilite" in message and "ligne" in message and "import" in message


def test_the_web_app_does_not_start_on_an_invalid_diagram(broken, tmp_path):
    from web import create_app

    with pytest.raises(SpecError) as err:
        create_app(
            {
                "IPT_PROCESSES_DIR": str(broken),
                "IPT_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
                "IPT_INSTANCE_DIR": str(tmp_path),
                "IPT_SECRET_KEY": "x",
            }
        )
    assert "calculer_eligibilite" in err.value.message


def test_cli_validate_ok_on_the_shipped_processes():
    out = subprocess.run(
        [sys.executable, "-m", "ipt", "processes", "validate"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "mise_en_place : valide" in out.stdout
