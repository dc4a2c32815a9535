"""Reading an uploaded family spreadsheet, row by row, into ``FamilyCreate`` bodies.

Pure functions: no database, no web framework. The import job calls, in order,
:func:`detect_format`, :func:`read_rows` (which decodes CSV through :func:`decode_csv`
and checks the header row) and :func:`row_to_family` for every row.

Two kinds of failure, on purpose:

- :class:`ImportFileError`: the file as a whole cannot be read (unknown encoding, not
  a spreadsheet, a required column missing). Nothing is imported; the clerk fixes the
  file once instead of getting the same complaint for every row.
- :class:`RowError`: one row is wrong. It names the column(s) and says why, and the
  other rows go on: a bad neighbour never costs a good row.

Rejected rows are written back by :func:`rejected_rows_csv` / :func:`rejected_rows_xlsx`
in the shape they came in, with the original row number and the reason in front, so
the clerk corrects that file and uploads it again; :func:`read_rows` ignores the two
added columns.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from tefu_registry.imports.rows import OVERFLOW_KEY, cell_text, clean_text, row_to_family
from tefu_registry.imports.template import COLUMNS, REQUIRED_MARK, column_by_header

__all__ = [
    "OVERFLOW_KEY",
    "REASON_HEADER",
    "ROW_NUMBER_HEADER",
    "ImportFileError",
    "RowSource",
    "decode_csv",
    "detect_format",
    "escape_cell",
    "read_rows",
    "rejected_rows_csv",
    "rejected_rows_xlsx",
    "row_to_family",
]
