"""Tables every page shows through ui.figures.show_table: big integers with thousands separators
(the reader's locale), text columns wide enough for their sentences."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from ui.figures import LONG_TEXT, SEPARATED_FROM, table_columns


def _settings(column) -> dict:
    return dict(column)


def test_big_integers_get_separators_small_ones_stay_plain() -> None:
    frame = pd.DataFrame({"macs": [SEPARATED_FROM, 5], "k": [3, 5], "ok": [True, False]})
    config = table_columns(frame)
    assert _settings(config["macs"])["type_config"]["format"] == "localized"
    assert "k" not in config or _settings(config["k"])["type_config"].get("format") is None
    assert "ok" not in config


def test_long_texts_get_wide_columns() -> None:
    frame = pd.DataFrame({"idea": ["w" * (LONG_TEXT + 1), "short"], "name": ["ab", "cd"]})
    config = table_columns(frame)
    assert _settings(config["idea"])["width"] == "large"
    assert "name" not in config


def test_the_pooling_work_table_separates_thousands() -> None:
    at = AppTest.from_file("../../views/pooling.py", default_timeout=60)
    at.session_state["pl_tab"] = "Saving work"
    at.run()
    assert not at.exception
    [table] = at.dataframe  # the tab's one table
    columns = json.loads(table.proto.columns)
    formats = {name: c.get("type_config", {}).get("format") for name, c in columns.items()}
    frame = table.value
    big = [
        c
        for c in frame.columns
        if pd.api.types.is_integer_dtype(frame[c]) and frame[c].abs().max() >= SEPARATED_FROM
    ]
    assert big, "the pooling table has large counts"
    assert all(formats.get(c) == "localized" for c in big)
