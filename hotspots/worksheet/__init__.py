"""From risk to action: the action-plan worksheet of a scored city.

One row per ward that needs a plan: exactly the wards that are a significant hot spot (Gi*, any confidence shown on
the map: 90%, 95% or 99%) or in the top risk class, ranked by risk. Each row says why the ward is listed, its risk,
class, risk profile, dominant dimension (the highest of its dimension scores) and the indicators driving its risk
(the largest contributions to its risk score, from :meth:`hotspots.pipeline.RiskResult.explain`), then empty
columns for the group to fill in: the prevention approach (tier 2), partners and resources (tier 3), owner, date and
notes. Notes typed per ward in the app go into the notes column.

Written as XLSX (a second sheet holds the method and the date), CSV or Markdown (for printing); a filled worksheet
is read back by :func:`read_worksheet`. Every text cell that a spreadsheet would run as a formula is neutralised.
"""

from .build import (
    COLUMNS,
    PLAN_COLUMNS,
    WARD_COLUMNS,
    Worksheet,
    action_worksheet,
    dominant_dimension,
    driving_indicators,
    markdown_cell,
)
from .read import FilledWorksheet, read_worksheet

__all__ = [
    "COLUMNS",
    "PLAN_COLUMNS",
    "WARD_COLUMNS",
    "Worksheet",
    "action_worksheet",
    "dominant_dimension",
    "driving_indicators",
    "markdown_cell",
    "FilledWorksheet",
    "read_worksheet",
]
