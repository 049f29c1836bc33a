"""`kprules.core.csv_places` finds each CSV record where kprules' CSV reader finds it: the same
number, first line and text as written, on any file (blank lines, quoted line breaks, rows the
`csv` module refuses, CRLF line ends). The SQL engines show a refused record there when their
own line numbers drift (tests/sql/test_engines_agree.py)."""

from __future__ import annotations

from pathlib import Path

from case_support import shipment
from hypothesis import given, settings
from hypothesis import strategies as st

from kprules.cases.bulk import BadRecord, csv_records
from kprules.core.csv_places import record_places

VOCABULARY = shipment()["kpcs"].vocabulary
CELLS = st.sampled_from(["true", "false", "x", "", '"a,b"', '"two\nlines"', '"say ""hi"""',
                         '"\n"', "é", '"open', "CF"])
ROWS = st.lists(st.one_of(st.just(""), st.lists(CELLS, min_size=2, max_size=2).map(",".join)),
                max_size=12)


def _places(path: Path) -> dict[int, tuple[int, str]]:
    """What the reader itself says of each record: its line, and the text it shows."""
    with path.open("rb") as fh:
        found = {}
        for item in csv_records(fh, path.name, VOCABULARY):
            assert item.line is not None
            text = item.source.text if isinstance(item, BadRecord) and item.source else None
            found[item.number] = (item.line, text)
        return found


@settings(max_examples=300, deadline=None)
@given(rows=ROWS, crlf=st.booleans(), last_break=st.booleans())
def test_the_places_are_the_reader_s(tmp_path_factory: object, rows: list[str], crlf: bool,
                                     last_break: bool) -> None:
    end = "\r\n" if crlf else "\n"
    text = end.join(["rough,mined_in", *rows]) + (end if last_break else "")
    path = Path(str(tmp_path_factory.mktemp("csv"))) / "d.csv"  # type: ignore[attr-defined]
    path.write_bytes(text.encode("utf-8"))
    expected = _places(path)
    got = record_places(path, expected)
    assert {n: line for n, (line, _) in got.items()} == \
        {n: line for n, (line, _) in expected.items()}
    for number, (_, shown) in expected.items():
        if shown is not None:
            assert got[number][1] == shown


def test_records_asked_for_only_and_a_file_read_no_further(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b'rough\ntrue\n\n"a\nb"\nx\n')
    assert record_places(path, [2, 3, 9]) == {2: (4, '"a\nb"'), 3: (6, "x")}
    assert record_places(path, []) == {}
