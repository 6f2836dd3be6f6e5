"""``dataframe_split`` bodies become the frame pandas builds from the lists, whichever path reads them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from runyard.scoring import payload

CASES = [
    {"columns": ["a", "b"], "data": [[1.5, 2.0]]},
    {"columns": ["a", "b"], "data": [[1.5, 2.0], [3.25, -0.0]], "index": [7, 9]},
    {"data": [[1.0, 2.0, 3.0]]},
    {"columns": ["a", "b"], "data": [[1, 2.5]]},          # an int: pandas' own inference
    {"columns": ["a", "b"], "data": [[True, 2.5]]},       # a bool stays a bool
    {"columns": ["a", "b"], "data": [["x", 2.5]]},
]


@pytest.mark.parametrize("split", CASES)
def test_split_frames_equal_pandas_own(split: dict) -> None:
    body = json.dumps({"dataframe_split": split}).encode()
    try:
        expected = pd.DataFrame(data=split["data"], columns=split.get("columns"), index=split.get("index"))
    except (ValueError, TypeError):
        with pytest.raises(Exception):
            payload.parse_body(payload.JSON, body)
        return
    frame, params = payload.parse_body(payload.JSON, body)
    assert params is None
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
