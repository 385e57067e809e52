"""Progress bars: on for a stage's long work, off under CI=true, off where the caller says so."""

import os

from rashomon.core.progress import bar_options, lightning_bar, quiet_in_ci


def test_ci_turns_bars_off_and_a_callers_choice_still_counts(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setenv("CI", "false")
    quiet_in_ci()
    assert "TQDM_DISABLE" not in os.environ and lightning_bar(True) and not lightning_bar(False)
    monkeypatch.setenv("CI", "true")
    quiet_in_ci()
    assert os.environ["TQDM_DISABLE"] == "1" and not lightning_bar(True)
    # a bar the caller wants passes no `disable`, so tqdm's TQDM_DISABLE decides; one it does not is off
    assert bar_options(True) == {} and bar_options(False) == {"disable": True}
