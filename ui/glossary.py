"""The Glossary tab, and the one-line help of every model control (the sidebar and the Model tab use ``HELP``).

The words of the app that an analyst may not know (minmax, zscore, geometric, fisher_jenks, permutations, FDR,
"Very high") are explained once, here, in plain language.
"""

from __future__ import annotations

import streamlit as st

#: One line of help per control, keyed by the control's name.
HELP = {
    "city": "Demo cities are synthetic. Add your own in the Data tab.",
    "dimension_weight": "How much this dimension counts in the risk score, relative to the other dimensions.",
    "normalisation": "How each indicator is put on one scale before weighting: minmax = 0 for the lowest ward, 1 for "
    "the highest; zscore = distance from the city mean in standard deviations; percentile = share of wards below.",
    "aggregation": "How indicator values are combined: arithmetic = weighted mean (a high value makes up for a low "
    "one); geometric = weighted geometric mean (a low value pulls the score down more).",
    "classification": "How scores are cut into the five map classes: quantiles = equal numbers of wards per class "
    "(Very high = top fifth of this city); equal_interval = equal score ranges; fisher_jenks = natural breaks "
    "that keep similar scores together; fixed = thresholds given in the model.",
    "neighbours": "Which wards count as a ward's neighbours in the hot-spot test: queen = sharing an edge or a "
    "corner, rook = sharing an edge, 6 nearest = the six closest ward centres.",
    "permutations": "Random rearrangements the hot-spot test compares each ward with. More = more precise p-values, "
    "slower. 'auto': 999, and more for the wards that need them to reach 99% after the correction.",
    "correction": "Testing every ward at once produces some false hot spots by chance. FDR (false discovery rate) "
    "keeps their expected share among the flagged wards below the level; Bonferroni is stricter; none does not "
    "correct.",
    "suppress_below": "Counts from 1 up to this number are never shown (tables, map tooltips, the ward breakdown, "
    "every export), nor rates made from them, nor a count that would give one back from a total; the scores still "
    "use them. 5 is the default, 10 the stricter rule of CDC WONDER. Off shows every count: only for data that "
    "identify no one.",
    "basemap": "Streets under the wards, loaded from the internet (not shown offline).",
    "direction": "higher is riskier: a high value means more risk; lower is riskier: a low value means more risk "
    "(e.g. a licensing rate).",
    "weight": "How much this indicator counts within its dimension, relative to the others there.",
    "per_population": "Divide a count by the ward population and multiply by N, e.g. 10000 for a rate per 10,000 "
    "residents. 0 = use the value as it is.",
    "unit": "percent is checked to lie in 0–100, count to be 0 or more; small counts are suppressed in outputs (sidebar: Hide counts below).",
    "label": "The name shown in tooltips, the ward breakdown and exports, with its unit, e.g. 'Hate incidents per "
    "10,000 residents'.",
    "dimension": "The risk dimension the indicator belongs to; its score is the weighted mix of its indicators.",
}

#: Readable names of the method options (the values stay the package's names).
OPTION_NAMES = {
    "minmax": "Min–max (0 to 1)",
    "zscore": "z-score (standard deviations from the mean)",
    "percentile": "Percentile rank",
    "arithmetic": "Arithmetic mean",
    "geometric": "Geometric mean",
    "quantiles": "Quantiles (equal numbers of wards)",
    "equal_interval": "Equal intervals",
    "fisher_jenks": "Natural breaks (Fisher–Jenks)",
    "fixed": "Fixed thresholds",
}

GLOSSARY = (
    (
        "Risk score",
        "A number from 0 (least) to 10 (most) that summarises the chosen indicators of a ward, weighted as in the "
        "sidebar. It ranks wards *within the city*; it is not a probability and predicts no event.",
    ),
    (
        "Risk classes (Very low … Very high)",
        "The five map colours. Under *quantiles* each class holds a fifth of this city's wards: **Very high** means "
        "the top fifth of this city, whatever the score's size; another city's Very high is its own top fifth.",
    ),
    (
        "Hot spot / cold spot",
        "A ward whose neighbourhood (the ward and its neighbours) has higher (hot) or lower (cold) risk scores than "
        "would be expected if the same scores were shuffled at random across the city (Getis-Ord Gi*). A hot spot "
        "is where high scores *cluster*; it is **not** a forecast, not a place where something will happen, and "
        "not a judgement on the people who live there. A single high ward among low ones is not a hot spot.",
    ),
    (
        "90%, 95%, 99%",
        "The confidence of the hot-spot test, two-sided as in ArcGIS's Gi_Bin: 99% means a clustering this strong "
        "would arise by chance in fewer than 1 in 100 random shuffles (p < 0.01), 95% fewer than 5 in 100, 90% "
        "fewer than 10 in 100, after the multiple-testing correction.",
    ),
    (
        "Permutations",
        "The random shuffles the test compares each ward's neighbourhood with. With 999 the smallest p-value is "
        "0.001; more shuffles give steadier results and take longer.",
    ),
    (
        "FDR (false discovery rate)",
        "Testing every ward at once flags some wards by chance. The FDR correction (Benjamini–Hochberg) keeps the "
        "expected share of such false hot spots among the flagged wards below 1%, 5% or 10%. Bonferroni is stricter "
        "and finds fewer hot spots; 'none' finds more, some of them by chance.",
    ),
    (
        "LISA clusters",
        "Local Moran's I: High-High = a high-risk ward among high-risk neighbours; Low-Low the opposite; High-Low "
        "and Low-High = a ward unlike its neighbours (an outlier). Not tested = a ward with no neighbour.",
    ),
    (
        "Risk profile",
        "Wards grouped by the *pattern* of their three dimension scores (KMeans, the number of profiles chosen by "
        "the silhouette): 'mainly ideological' wards are high on ideological risk alone, 'all three high' on every "
        "kind. P1 is the profile with the most risk. Different patterns call for different prevention approaches; "
        "compared across cities (common scale), a profile means the same in each.",
    ),
    (
        "Action-plan worksheet",
        "A table of the hot spots and top-class wards with what drives them, and empty columns for the prevention "
        "approach (tier 2), partners and resources (tier 3), owner and date (Export tab).",
    ),
    (
        "Normalisation",
        "Puts indicators measured in different units on one scale: min–max (0 for the lowest ward, 1 for the "
        "highest), z-score (standard deviations from the mean) or percentile rank.",
    ),
    (
        "Aggregation",
        "Arithmetic: a weighted mean, where a high value can make up for a low one. Geometric: a weighted geometric "
        "mean, where one low value pulls the score down more.",
    ),
    (
        "Coverage",
        "The share of the model's weight for which a ward has data. A ward with low coverage has a score built on "
        "few indicators; 'No data' wards (grey) have none.",
    ),
    (
        "Suppressed (< 5)",
        "Counts from 1 to 4 (or to 9 with the stricter setting *Hide counts below 10*) are never shown or exported, "
        "nor the rates made from them, so that small groups cannot be identified. The scores count them at the middle of "
        "their band (2.5 for 1-4, 5 for 1-9), so that no score can give a count back.",
    ),
    (
        "Suppressed (protects a small count)",
        "A count of 5 or more hidden with a small one: with the city's total known, a single hidden count would be "
        "the total minus the others (complementary suppression).",
    ),
    (
        "Smoothed rate (EB)",
        "A rate from a small population swings with one event more or less. Empirical Bayes smoothing (set per "
        "indicator in the framework file) pulls it towards the city's rate (eb) or its neighbourhood's "
        "(spatial_eb), the more the fewer the residents, so that chance is not mistaken for risk.",
    ),
    (
        "Small population",
        "A ward with fewer residents than the framework's *min_population*: it is scored as usual and flagged in "
        "the report and the export, because its rates rest on few people.",
    ),
)


def option_name(value: str) -> str:
    """The readable name of a method option (the value itself when it has none)."""
    return OPTION_NAMES.get(value, value)


def render_glossary() -> None:
    """The tab: what the app's words mean."""
    st.subheader("Glossary")
    st.caption("What the words on the maps and in the settings mean.")
    for term, meaning in GLOSSARY:
        st.markdown(f"**{term}.** {meaning}")
