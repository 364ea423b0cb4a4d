"""Census files as a hospital exports them: CSV in UTF-8 or GB18030/GBK, or an XLSX workbook."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time

from boards.errors import BadInput

__all__ = ["MAX_BYTES", "MAX_ROWS", "read_table"]

# A ward's census is a few hundred rows at most: anything far bigger is not one.
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
_ENCODINGS = ("utf-8-sig", "gb18030")
_ZIP = b"PK\x03\x04"


def read_table(data: bytes, filename: str | None = None) -> list[list[str]]:
    """The file's cells as text, row by row (the header first); refused if unreadable."""
    if len(data) > MAX_BYTES:
        raise BadInput("census.err_too_big", limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise BadInput("census.err_empty")
    name = (filename or "").lower()
    if data.startswith(_ZIP) or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data)
    if name.endswith(".xls"):
        # The binary Excel 97 format: ask for .xlsx or .csv rather than guess.
        raise BadInput("census.err_format")
    return _read_csv(data)


def _decode(data: bytes) -> str:
    # UTF-8 first: GB18030 decodes almost any bytes, so it can only be the fallback.
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInput("census.err_encoding")


def _read_csv(data: bytes) -> list[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise BadInput("census.err_format")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if len(rows) > MAX_ROWS + 1:
        raise BadInput("census.err_too_many", limit=MAX_ROWS)
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> list[list[str]]:
    # Imported here: only an XLSX upload pays for loading openpyxl.
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise BadInput("census.err_format") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise BadInput("census.err_empty")
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            if len(rows) > MAX_ROWS:
                raise BadInput("census.err_too_many", limit=MAX_ROWS)
            rows.append([_cell(v) for v in values])
        return rows
    finally:
        workbook.close()
