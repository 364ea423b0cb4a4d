"""The census from the hospital's files: rows read, a plan against the ward, applied at once."""

from boards.census.export import board_csv, census_csv
from boards.census.files import read_table
from boards.census.plan import CensusPlan, CensusResult, PlannedUpdate, apply_census, plan_census
from boards.census.rows import COLUMNS, CensusRow, CensusTable, RowError, age_at, read_rows
from boards.census.summary import error_lines, result_text, summary_text

__all__ = [
    "COLUMNS",
    "CensusPlan",
    "CensusResult",
    "CensusRow",
    "CensusTable",
    "PlannedUpdate",
    "RowError",
    "age_at",
    "apply_census",
    "board_csv",
    "census_csv",
    "error_lines",
    "plan_census",
    "read_rows",
    "read_table",
    "result_text",
    "summary_text",
]
