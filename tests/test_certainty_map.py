"""The hot-spot certainty map of the "How sure are we?" tab: bands, ward-ID keying, escaping."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box
from test_maps import embedded_data

from hotspots import DataError
from hotspots.maps import map_html
from hotspots.maps.certainty import BANDS, certainty_bands, certainty_map


def wards(names=None) -> gpd.GeoDataFrame:
    ids = ["W1", "W2", "W 3", "W4", "W5", "W6"]
    return gpd.GeoDataFrame(
        {
            "ward_id": ids,
            "ward_name": names or [f"Ward {i}" for i in ids],
            "hotspot_class": ["hot spot 95%", "not significant", "not significant", "hot spot 90%", "no data", "x"],
        },
        geometry=[box(88.3 + 0.01 * k, 22.5, 88.31 + 0.01 * k, 22.51) for k in range(len(ids))],
        crs="EPSG:4326",
    )


def test_bands_follow_the_issue_limits():
    # hand-made: more than 80% -> steady (0); 20% to 80%, both ends included -> depends (1); under 20% but above
    # 0 -> rarely (2); 0 -> never (3); missing -> not tested (-1)
    f = np.array([1.0, 0.81, 0.8, 0.5, 0.2, 0.19, 0.01, 0.0, np.nan])
    assert certainty_bands(f).tolist() == [0, 0, 1, 1, 1, 2, 2, 3, -1]
    assert len(BANDS) == 4


def test_the_map_is_keyed_by_ward_id_and_escapes_names():
    share = pd.Series([0.9, 0.5, 0.0, 0.1, np.nan, 0.3], index=["W1", "W2", "W 3", "W4", "W5", "W6"])
    layer = wards(names=["<img src=x onerror=alert(1)>", "b", "c", "d", "e", "f"])
    data = embedded_data(map_html(certainty_map(layer, share, n_variants=200, title="<b>t</b>")))
    shuffled = share.sample(frac=1.0, random_state=1)
    again = embedded_data(map_html(certainty_map(layer, shuffled, n_variants=200, title="<b>t</b>")))
    assert data["views"][0]["cls"] == again["views"][0]["cls"] == "0132-1"
    assert "200 model variants" in data["views"][0]["legend"]
    assert "<img" not in data["name"][0] and "&lt;img" in data["name"][0]
    page = map_html(certainty_map(layer, share, n_variants=200, title="<b>t</b>"))
    assert "<b>t</b>" not in page


def test_positional_input_is_refused():
    with pytest.raises(DataError, match="keyed by ward ID"):
        certainty_map(wards(), np.array([0.5] * 6), n_variants=10)
