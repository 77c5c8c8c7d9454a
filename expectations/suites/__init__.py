"""One module per source or mart; ``ALL_SUITES`` is what the pipeline runs."""

from expectations.suites import (
    dim_schools,
    fct_dossiers,
    fct_fee_payments,
    fct_ratings,
    fct_school_assessments,
    fct_school_collections,
    file_sources,
    forms,
    kpi_scorecard,
    portal_sources,
    quarantine,
    reconciliation,
)

ALL_SUITES = [
    *portal_sources.SUITES,
    *file_sources.SUITES,
    *fct_dossiers.SUITES,
    *fct_ratings.SUITES,
    *fct_fee_payments.SUITES,
    *fct_school_collections.SUITES,
    *fct_school_assessments.SUITES,
    *dim_schools.SUITES,
    *kpi_scorecard.SUITES,
    *forms.SUITES,
    *quarantine.SUITES,
    *reconciliation.SUITES,
]
