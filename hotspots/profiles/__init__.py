"""Risk profiles: wards grouped by the pattern of their dimension scores (scikit-learn KMeans).

Different risk patterns need different responses: a ward high on ideological risk alone calls for another
prevention approach than a ward high on all three. :func:`risk_profiles` groups wards by their dimension scores and
names each group by what dominates its centre.

The method, in full (also written into every export's metadata by :meth:`Profiles.to_dict`):

1. **Wards.** Only wards with every dimension score take part; the others get no profile (and a note says how many
   and which). Rows are sorted by their key (ward ID, or city and ward ID when cities are pooled) before fitting,
   so that the input's row order never changes a result.
2. **Standardised.** Each dimension score is standardised on the wards taking part (``z = (score - mean) / sd``,
   population sd; a dimension with no spread is 0 for every ward), so that every dimension counts equally.
3. **KMeans** (scikit-learn, ``n_init`` = :data:`N_INIT`, ``random_state`` = the seed) on the standardised scores.
   The number of profiles ``k`` is given, or chosen between 2 and 6 by the highest mean silhouette (ties: the
   smaller ``k``; above :data:`SILHOUETTE_SAMPLE` wards the silhouette is measured on a seeded sample, above
   :data:`FIT_SAMPLE` KMeans is fitted on a seeded sample and every ward takes its nearest centre).
4. **Numbered** in a canonical order: by the centre's total score (sum of its dimension scores), highest first, so
   that P1 is the profile with the most risk, and the same data and seed give the same numbers.
5. **Named** by :func:`profile_name` from the centre's standardised scores: a dimension is *high* when its centre
   is at least :data:`HIGH` sd above the mean of the wards, *low* when at least :data:`HIGH` sd below. All high:
   "all three high"; one high: "mainly <dimension>"; some high: "<a> and <b> high"; none high and all low:
   "all low"; otherwise "near average". A ward's ``risk_profile`` is ``"P<number>: <name>"``.

Profiles learned on several cities pooled (:func:`pooled_scores`, :func:`profile_results`) mean the same in every
city: a ward of one city and a ward of another with the same profile have the same pattern of risk.
"""

from .cities import attach_profiles, dimension_scores, pooled_scores, profile_results, profiles_of
from .core import DEFAULT_SEED, HIGH, MAX_PROFILES, RULE, Profiles, profile_name, risk_profiles
from .kmeans import FIT_SAMPLE, MAX_K, MIN_K, N_INIT, SILHOUETTE_SAMPLE, mean_silhouette

__all__ = [
    "DEFAULT_SEED",
    "FIT_SAMPLE",
    "HIGH",
    "MAX_K",
    "MAX_PROFILES",
    "MIN_K",
    "N_INIT",
    "RULE",
    "SILHOUETTE_SAMPLE",
    "Profiles",
    "attach_profiles",
    "dimension_scores",
    "mean_silhouette",
    "pooled_scores",
    "profile_name",
    "profile_results",
    "profiles_of",
    "risk_profiles",
]
