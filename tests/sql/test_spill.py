"""Where DuckDB spills what outgrows memory (kprules.sql.duck.connect): a folder of the
connection's own in a private temporary folder, never DuckDB's default `.tmp` in the working
folder, removed when the connection closes."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb")

from kprules.sql.duck import connect  # noqa: E402

# A temporary table of about 100 MB: more than the 20 MB the test lets DuckDB hold in memory.
BIG = ("CREATE TEMP TABLE t AS SELECT range AS a, md5(CAST(range AS VARCHAR)) AS b "
       "FROM range(1500000)")


def spill_folder(con: duckdb.DuckDBPyConnection) -> Path:
    row = con.execute("SELECT current_setting('temp_directory')").fetchone()
    assert row is not None
    return Path(row[0])


def test_a_connection_spills_to_a_private_folder_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    con, other = connect(), connect()
    folder = spill_folder(con)
    assert folder.is_absolute() and folder != spill_folder(other)
    private = folder.parent
    assert private.parent == Path(tempfile.gettempdir())
    assert stat.S_IMODE(private.stat().st_mode) == 0o700 and private.stat().st_uid == os.getuid()

    con.execute("SET memory_limit = '20MB'")
    con.execute(BIG)
    spilled = sorted(p.name for p in folder.iterdir())
    assert any(name.endswith(".tmp") for name in spilled), spilled
    assert con.execute("SELECT count(*), sum(a), min(b) FROM t").fetchone() == \
        (1_500_000, 1_500_000 * 1_499_999 // 2, "0000104cd168386a335ba6bf6e32219d")
    assert list(tmp_path.iterdir()) == []  # nothing in the working folder (no `.tmp`)
    con.close()
    other.close()
    assert not folder.exists() and private.is_dir()


def test_duckdbs_default_would_spill_to_the_working_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `connect` changes: without it, DuckDB spills into `.tmp` of the working folder."""
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    con.execute("SET memory_limit = '20MB'")
    con.execute(BIG)
    assert (tmp_path / ".tmp").is_dir()
    con.close()
