"""R-PROP-6: the enrolment-period end dates are a setting per school year, checked at start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.errors import SpecError
from engine.specs import scripting
from engine.specs.registry import ProcessLibrary

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


def test_shipped_dates_loaded_into_the_diagram_helper():
    ProcessLibrary(PROCESSES)
    assert scripting.HELPERS["enrolment_period_end"](2026) == "2026-03-20"
    assert scripting.HELPERS["enrolment_period_end"](2031) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"2026-2027": {end: demain}', "AAAA-MM-JJ"),
        ('"2026-2027": {end: 2026-09-15}', "2025-2026"),
        ('"2026-2028": {end: 2026-03-20}', "2026-2028"),
        ('"2026-2027": {end: [', "YAML"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_file(tmp_path, text, words):
    copy = tmp_path / "processes"
    shutil.copytree(PROCESSES, copy)
    (copy / "calendar" / "inscriptions.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        ProcessLibrary(copy)
    assert "inscriptions.yaml" in err.value.message and words in err.value.message
    ProcessLibrary(PROCESSES)  # leave the shipped dates in place for other tests
