"""What a suite is: a query over the warehouse, the GX expectations its rows must meet,
and whether a failure blocks publication."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Suite:
    name: str  # also the GX suite name and the Dagster check name
    asset: str  # the dbt model the suite checks (its Dagster asset key)
    query: str  # SQL over the working warehouse; its rows are validated batch by batch
    expectations: Callable[[], Sequence]  # builds the GX expectations (fresh objects each run)
    blocking: bool  # a failure stops publication
    description: str
    # A column of the query's rows that grows with every run that adds or checks rows again
    # (fct_school_collections' `_checked_at`, a staged source's `_batch_seq`): once a
    # validation passed, the next validates only the rows past its newest value and adds the
    # counts of the rows before it (a ``mostly`` share is the whole table's). Only for
    # expectations on each row alone (nothing on the table as a whole).
    since: str | None = None
    # For a table whose rows are replaced when what they hold changes (fct_dossiers: a
    # dossier's new version replaces its row), where no column grows: once a validation
    # passed, the hashes of its rows are kept (``runner.SEEN``) and the next validates only
    # the rows not among them; rows that left are no longer counted. Only for expectations on
    # each row alone and without a ``mostly`` share (the rows that left took their part of a
    # share with them, unknown without reading them).
    seen_rows: bool = False

    def check(self) -> None:
        """Refuse a suite that validates only some rows (``since``, ``seen_rows``) with a check
        those rows cannot settle alone (run before the suite is validated, and by the tests
        over every suite: building the expectations imports GX, which defining a suite does
        not)."""
        if self.since is not None and self.seen_rows:
            raise ValueError(f"suite {self.name}: `since` and `seen_rows` are two ways of the same thing; name one")
        if self.since is not None or self.seen_rows:
            for expectation in self.expectations():
                if not row_by_row(expectation):
                    raise ValueError(f"suite {self.name}: {expectation.expectation_type} is not a row-by-row check")
                if self.seen_rows and getattr(expectation, "mostly", 1) != 1:
                    raise ValueError(f"suite {self.name}: a `mostly` share cannot be kept over rows that left")


class _Expectations:
    """GX's expectation classes (``E.ExpectColumnValuesToNotBeNull``), imported at their first
    use: the suites are defined without importing GX (about 2.5 s), so a run takes its input
    prints in DuckDB while GX loads (``runner.run_suites``)."""

    def __getattr__(self, name: str):
        import great_expectations as gx

        return getattr(gx.expectations, name)


E = _Expectations()


# A staged source's rows are its raw rows, and raw is append-only with batches numbered in
# landing order: a source suite is validated since its landing batch.
SINCE = "_batch_seq"


def row_by_row(expectation) -> bool:
    """A GX check each row meets or fails alone: a map expectation over a column, a pair or
    several columns of the row, except those that compare a row with the others (unique)."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    kinds = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    metric = getattr(type(expectation), "map_metric", None) or ""
    return isinstance(expectation, kinds) and not metric.endswith(".unique")


def unique_key_suite(name: str, asset: str, table: str, columns: Sequence[str], description: str) -> Suite:
    """Key uniqueness checked in SQL over the whole table (a batch-wise check would miss
    two copies that fall in different batches): no row of the query may exist."""
    cols = ", ".join(columns)
    return Suite(
        name=name,
        asset=asset,
        query=f"select {cols}, count(*) as copies from {table} group by {cols} having count(*) > 1",
        expectations=lambda: [E.ExpectTableRowCountToEqual(value=0)],
        blocking=True,
        description=description,
    )


def schema_suite(name: str, asset: str, table: str, columns: Sequence[str], description: str) -> Suite:
    """The table has exactly these columns (read with no rows: the check is on the schema)."""
    return Suite(
        name=name,
        asset=asset,
        query=f"select * from {table} limit 0",
        expectations=lambda: [E.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=True)],
        blocking=True,
        description=description,
    )
