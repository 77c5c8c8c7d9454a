"""One module per source or mart; ``ALL_SUITES`` is what the pipeline runs."""

from expectations.suites import (
    fct_dossiers,
    fct_ratings,
    kpi_scorecard,
    portal_sources,
    quarantine,
    reconciliation,
)

ALL_SUITES = [
    *portal_sources.SUITES,
    *fct_dossiers.SUITES,
    *fct_ratings.SUITES,
    *kpi_scorecard.SUITES,
    *quarantine.SUITES,
    *reconciliation.SUITES,
]
