"""The run panel's Elapsed and Time left tiles fit their quarter of Home's column at any duration.

Seen (issue 18, in the browser test on a loaded 2-core machine): a quick benchmark that took over a
minute showed Elapsed as ``1 min 35 s``, cut with an ellipsis in its tile; on a fast machine it never
passed a minute, so the test passed there. The tiles use a compact form no longer than the
``Last request`` tile's values (``0.85 s``) that are known to fit; text elsewhere keeps the long form.
"""

from __future__ import annotations

import pytest

from ui.job_view import tile_duration


@pytest.mark.parametrize("seconds", [0, 9.6, 42, 59.4, 60, 95, 599, 600, 3599, 3600, 35_999, 36_000, 359_999])
def test_a_duration_tile_is_never_longer_than_the_tiles_that_fit(seconds: float) -> None:
    assert len(tile_duration(seconds)) <= len("0.85 s")


def test_a_duration_tile_still_reads_as_the_duration() -> None:
    assert tile_duration(42) == "42 s"
    assert tile_duration(95) == "1m 35s"
    assert tile_duration(3720) == "1h 02m"
    assert tile_duration(None) == "—"
