"""A run is a value: the :class:`Method` says everything a score depends on besides the data.

A ``Method`` is frozen and hashable (by :attr:`Method.key`, a digest of its canonical JSON), so a front end caches a
scored city on ``(city.key, method)`` and never builds a key by hand. Every export carries ``method.to_dict()`` in
its metadata, and :meth:`Method.from_metadata` rebuilds the run that made it::

    meta = hotspots.export.read_geojson("kolkata.geojson")[1]
    again = hotspots.run(indicators, boundaries, id_column="ward_id", method=hotspots.Method.from_metadata(meta))
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import DataError
from .framework import Framework, default_framework

SCALINGS = ("own", "common")


def _default_framework() -> Framework:
    return default_framework()


@dataclass(frozen=True, eq=False)
class Method:
    """The model and every option of a run.

    Parameters
    ----------
    framework : Framework
        Indicators, dimensions, weights, directions, normalisation, aggregation, classification (and thresholds).
    neighbours : str
        ``"queen"``, ``"rook"``, ``"knn:K"`` or ``"distance:METRES"``.
    snap_tolerance : float or None
        Contiguity snapping tolerance in metres (None: the default, 5 m).
    permutations : "auto" or int
        Conditional permutations for the hot-spot test (0: not tested).
    seed : int or None
        Seed of the permutations.
    correction : {"fdr", "bonferroni", "none"}
        Multiple-testing correction.
    suppress_below : int
        Counts from 1 to ``suppress_below - 1`` are suppressed in every output (0 or 1: none).
    scaling : {"own", "common"}
        Several cities: each on its own scale, or on one scale learned from all of them.
    hotspots : bool
        Whether to run the hot-spot statistics.
    profiles : "auto" or int
        Risk profiles (:mod:`hotspots.profiles`): ``"auto"`` chooses their number by silhouette (2 to 6), a number
        sets it, 0 switches them off.
    """

    framework: Framework = field(default_factory=_default_framework)
    neighbours: str = "queen"
    snap_tolerance: float | None = None
    permutations: int | str = "auto"
    seed: int | None = 12345
    correction: str = "fdr"
    suppress_below: int = 5
    scaling: str = "own"
    hotspots: bool = True
    profiles: int | str = "auto"

    def __post_init__(self) -> None:
        from .spatial import check_permutations
        from .spatial.multitest import check_correction

        if not isinstance(self.framework, Framework):
            raise DataError(f"Method.framework must be a Framework, not {type(self.framework).__name__}.")
        object.__setattr__(self, "permutations", check_permutations(self.permutations))
        object.__setattr__(self, "correction", check_correction(self.correction))
        if self.scaling not in SCALINGS:
            raise DataError(f"scaling must be one of {SCALINGS}, not {self.scaling!r}.")
        if isinstance(self.suppress_below, bool) or not isinstance(self.suppress_below, int) or self.suppress_below < 0:
            raise DataError(f"suppress_below must be a whole number >= 0, not {self.suppress_below!r}.")
        if self.profiles != "auto" and (
            isinstance(self.profiles, bool) or not isinstance(self.profiles, int) or not 0 <= self.profiles <= 10
        ):
            raise DataError(f"profiles must be 'auto' or a whole number from 0 (none) to 10, not {self.profiles!r}.")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int)):
            raise DataError(f"seed must be a whole number or None, not {self.seed!r}.")

    # -- identity ------------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description (written into every export's metadata)."""
        return {
            "framework": self.framework.to_dict(),
            "neighbours": self.neighbours,
            "snap_tolerance_m": self.snap_tolerance,
            "permutations": self.permutations,
            "seed": self.seed,
            "correction": self.correction,
            "suppress_below": self.suppress_below,
            "scaling": self.scaling,
            "hotspots": self.hotspots,
            "profiles": self.profiles,
        }

    @property
    def key(self) -> str:
        """A digest of the canonical JSON: equal methods have equal keys."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Method) and self.key == other.key

    def __repr__(self) -> str:
        return (
            f"Method(key={self.key!r}, neighbours={self.neighbours!r}, permutations={self.permutations!r}, "
            f"seed={self.seed!r}, correction={self.correction!r}, suppress_below={self.suppress_below!r}, "
            f"scaling={self.scaling!r}, hotspots={self.hotspots!r}, profiles={self.profiles!r})"
        )

    def replace(self, **changes: Any) -> Method:
        """A copy with some options changed (``framework=`` included)."""
        return replace(self, **changes)

    # -- rebuilding ----------------------------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Method:
        """The inverse of :meth:`to_dict`."""
        if not isinstance(data, dict) or "framework" not in data:
            raise DataError("A method must be a JSON object with a 'framework'.")
        return cls(
            framework=Framework.from_dict(data["framework"], source="method"),
            neighbours=data.get("neighbours", "queen"),
            snap_tolerance=data.get("snap_tolerance_m"),
            permutations=data.get("permutations", "auto"),
            seed=data.get("seed", 12345),
            correction=data.get("correction", "fdr"),
            suppress_below=int(data.get("suppress_below", 5)),
            scaling=data.get("scaling", "own"),
            hotspots=bool(data.get("hotspots", True)),
            profiles=data.get("profiles", "auto"),
        )

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Method:
        """The method of an export, from its ``metadata`` member (GeoJSON) or ``.metadata.json`` sidecar (CSV)."""
        if not isinstance(metadata, dict):
            raise DataError("The metadata must be the export's JSON object (its 'metadata' member).")
        if isinstance(metadata.get("method"), dict):
            return cls.from_dict(metadata["method"])
        if "framework" not in metadata:
            raise DataError(
                "This metadata has no 'method' or 'framework': it was not written by hotspots, or was edited."
            )
        hot = metadata.get("hotspot_analysis") or {}
        plan = hot.get("permutations")
        suppression = metadata.get("small_number_suppression") or {}
        return cls(
            framework=Framework.from_dict(metadata["framework"], source="metadata"),
            neighbours=(hot.get("graph") or {}).get("method", "queen"),
            snap_tolerance=hot.get("snap_tolerance_m"),
            permutations=plan.get("requested", "auto") if isinstance(plan, dict) else (plan or "auto"),
            seed=hot.get("seed", 12345),
            correction=hot.get("correction", "fdr"),
            suppress_below=int(suppression.get("threshold", 0) or 0),
            hotspots=bool(hot),
        )
