"""The loader: reading files safely, and finding the modules a file needs in the project's policy
folders (`kprules.toml`), never in sibling folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kprules.checker import check
from kprules.core.files import MAX_BYTES, SourceError, decode
from kprules.core.files import read_source as read_text
from kprules.core.render import render_all
from kprules.syntax.loader import load, load_texts
from kprules.syntax.search import find_module

VOCAB = 'facts shipments "v"\n  fact rough: bool\n'
POLICY = 'policy {name} "p"\n  status current\n  reads shipments\n' \
         'define cd = rough\n'
PROPOSAL = 'policy {name} "p"\n  status proposed\n  amends {base}\n' \
           'redefine cd = base.cd or rough\n'


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "kprules.toml").write_text('policies = ["."]\n')
    return _tree(root, files)


def _names(root: Path, paths: list[str]) -> list[str]:
    ws = load([root / p for p in paths])
    return sorted(str(ws.paths[m].relative_to(root)) for m in ws.modules)


# ------------------------------------------------------------------ the nearby search


def test_vocabulary_and_base_are_found_nearby(tmp_path: Path) -> None:
    root = _project(tmp_path, {
        "facts.kpr": VOCAB,
        "core.kpr": POLICY.format(name="core"),
        "proposals/mine.kpr": PROPOSAL.format(name="mine", base="core"),
    })
    assert _names(root, ["proposals/mine.kpr"]) == [
        "core.kpr", "facts.kpr", "proposals/mine.kpr"]
    result = check(load([root / "proposals/mine.kpr"]))
    assert result.ok and set(result.policies) == {"core", "mine"}


def test_the_first_policy_folder_listed_wins(tmp_path: Path) -> None:
    root = _tree(tmp_path / "project", {
        "kprules.toml": 'policies = ["mine", "shared"]\n',
        "shared/facts.kpr": VOCAB,
        "mine/sub/facts.kpr": VOCAB,
        "mine/p.kpr": POLICY.format(name="p"),
    })
    assert find_module("shipments", root / "mine") == root / "mine" / "sub" / "facts.kpr"
    (root / "mine" / "sub" / "facts.kpr").unlink()
    assert find_module("shipments", root / "mine") == root / "shared" / "facts.kpr"


def test_no_sibling_folder_is_searched_without_a_project(tmp_path: Path) -> None:
    _tree(tmp_path, {"b/facts.kpr": VOCAB, "facts.kpr": VOCAB, "a/p.kpr": POLICY.format(name="p")})
    assert find_module("shipments", tmp_path / "a") is None
    result = check(load([tmp_path / "a" / "p.kpr"]))
    assert [d.code for d in result.diagnostics] == ["KP202"]


def test_own_files_come_before_deeper_ones_whatever_the_names(tmp_path: Path) -> None:
    root = _project(tmp_path, {"a/aaa/v.kpr": VOCAB, "a/zzz.kpr": VOCAB})
    assert find_module("shipments", root / "a") == root / "a" / "zzz.kpr"


def test_search_stops_at_the_project_root(tmp_path: Path) -> None:
    _tree(tmp_path, {"facts.kpr": VOCAB})          # outside the project: never found
    root = _project(tmp_path, {"p/policy.kpr": POLICY.format(name="p")})
    assert find_module("shipments", root / "p") is None
    ws = load([root / "p" / "policy.kpr"])
    result = check(ws)
    assert render_all(result.diagnostics, ws.sources, "gnu").splitlines()[0] == (
        f"{_shown(root / 'p' / 'policy.kpr')}:3:9: error: no vocabulary named `shipments` "
        "[KP202]")


def _shown(path: Path) -> str:
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


def test_unrelated_broken_files_elsewhere_are_ignored(tmp_path: Path) -> None:
    root = _project(tmp_path, {
        "facts.kpr": VOCAB,
        "p/policy.kpr": POLICY.format(name="p"),
        "old/broken.kpr": "policy broken reads ((((",
        "old/binary.kpr": "",
        "old/other_vocab.kpr": "facts other\n  fact x: nonsense_type !!!",
    })
    (root / "old" / "binary.kpr").write_bytes(b"\xff\xfe\x00\x00")
    os.mkfifo(root / "old" / "pipe.kpr")
    (root / "old" / "folder.kpr").mkdir()
    (root / "old" / "link.kpr").symlink_to(root / "missing.kpr")
    (root / "old" / "loop").symlink_to(root, target_is_directory=True)
    ws = load([root / "p" / "policy.kpr"])
    result = check(ws)
    assert [d.code for d in result.diagnostics] == ["KP211"]  # `cd` cites no source
    assert sorted(ws.modules) == ["p", "shipments"]
    assert sorted(Path(n).name for n in ws.sources) == ["facts.kpr", "policy.kpr"]


def test_search_gives_up_after_its_budget(tmp_path: Path) -> None:
    root = _project(tmp_path, {f"d{i:03d}/x.txt": "" for i in range(50)})
    _tree(root, {"zzz/facts.kpr": VOCAB})
    assert find_module("shipments", root) == root / "zzz" / "facts.kpr"
    assert find_module("shipments", root, budget=20) is None


def test_hidden_and_tool_folders_are_not_searched(tmp_path: Path) -> None:
    root = _project(tmp_path, {".hidden/facts.kpr": VOCAB, "node_modules/facts.kpr": VOCAB,
                               "venv/facts.kpr": VOCAB, "__pycache__/facts.kpr": VOCAB})
    assert find_module("shipments", root) is None


def test_header_after_comments_is_recognised(tmp_path: Path) -> None:
    root = _project(tmp_path, {"v.kpr": "# the vocabulary\n\n# more\nfacts   shipments\n"})
    assert find_module("shipments", root) == root / "v.kpr"


@pytest.mark.parametrize("draft", [
    "\n" * 60 + "TODO\n",
    "# a comment\n\n" * 60 + "TODO\n",
    " \n\t\n# c\n" * 60 + "policy\n",
], ids=["blank lines", "comment paragraphs", "mixed"])
def test_a_header_after_many_blank_or_comment_lines_is_read_in_linear_time(
        tmp_path: Path, draft: str) -> None:
    # the expression this replaced backtracked through 2^60 ways to split the blank lines
    root = _project(tmp_path, {"a_draft.kpr": draft, "v.kpr": VOCAB})
    assert find_module("shipments", root) == root / "v.kpr"


def test_a_header_after_a_byte_order_mark_is_recognised(tmp_path: Path) -> None:
    root = _project(tmp_path, {"v.kpr": "\ufeff" + VOCAB})
    assert find_module("shipments", root) == root / "v.kpr"
    assert check(load([root / "v.kpr"])).ok


def test_a_header_after_more_than_4_kb_of_comments_is_recognised(tmp_path: Path) -> None:
    comments = ("# " + "x" * 77 + "\n") * 60
    root = _project(tmp_path, {"v.kpr": comments + VOCAB,
                               "p.kpr": POLICY.format(name="p")})
    assert len(comments) > 4096
    assert find_module("shipments", root) == root / "v.kpr"
    assert check(load([root / "p.kpr"])).ok


def test_a_header_past_the_size_limit_is_not_looked_for(tmp_path: Path) -> None:
    root = _project(tmp_path, {"big.kpr": "#\n" * (MAX_BYTES // 2) + VOCAB,
                               "under.kpr": "#\n" * ((MAX_BYTES - len(VOCAB)) // 2) + VOCAB})
    assert find_module("shipments", root) == root / "under.kpr"


def test_duplicate_module_names(tmp_path: Path) -> None:
    root = _project(tmp_path, {"one.kpr": VOCAB, "two.kpr": VOCAB})
    ws = load([root / "one.kpr", root / "two.kpr"])
    result = check(ws)
    one, two = _shown(root / "one.kpr"), _shown(root / "two.kpr")
    assert render_all(result.diagnostics, ws.sources, "gnu") == (
        f"{two}:1:7: error: `shipments` is declared by two files [KP210]\n"
        f"{two}:1:7: note: module names must be unique; rename one of them\n"
        f"{one}:1:7: note: also declared here\n")


def test_a_file_given_twice_is_read_once(tmp_path: Path) -> None:
    root = _project(tmp_path, {"v.kpr": VOCAB})
    ws = load([root / "v.kpr", root / "." / "v.kpr", root])
    assert len(ws.sources) == 1 and ws.diagnostics == []


# ------------------------------------------------------------------ reading files


def test_read_text_refuses_more_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.kpr"
    path.write_text("x" * 101)
    with pytest.raises(SourceError) as err:
        read_text(path, "big.kpr", max_bytes=100)
    assert [d.message for d in err.value.diagnostics] == [
        "`big.kpr` is 101 bytes; the limit is 100"]
    assert read_text(path, "big.kpr", max_bytes=101).text == "x" * 101


def test_read_text_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.kpr")
    with pytest.raises(SourceError) as err:
        read_text(tmp_path / "pipe.kpr", "pipe.kpr")
    assert err.value.diagnostics[0].message == "`pipe.kpr` is not a regular file"
    with pytest.raises(SourceError) as err:
        read_text(tmp_path, "here")
    assert err.value.diagnostics[0].message == "`here` is a folder"


def test_read_text_of_a_device_is_refused_not_read_forever() -> None:
    with pytest.raises(SourceError) as err:
        read_text(Path("/dev/zero"), "/dev/zero")
    assert err.value.diagnostics[0].message == "`/dev/zero` is not a regular file"


def test_decode_strips_a_byte_order_mark() -> None:
    assert decode("\ufefffacts v\n".encode(), "v.kpr").text == "facts v\n"


def test_decode_locates_invalid_utf8_after_a_byte_order_mark() -> None:
    with pytest.raises(SourceError) as err:
        decode("\ufefffacts v\n".encode() + b"  \xc3(\n", "v.kpr")
    [diag] = err.value.diagnostics
    assert err.value.source is not None
    assert err.value.source.text == "facts v\n  \ufffd(\n"
    assert err.value.source.line_col(diag.span.start if diag.span else -1) == (2, 3)
    assert diag.message == "`v.kpr` is not valid UTF-8 (byte 14, line 2)"


def test_load_texts_applies_the_size_limit() -> None:
    ws = load_texts([("big.kpr", "# " + "x" * MAX_BYTES)])
    assert [d.code for d in ws.diagnostics] == ["KP102"]
    assert ws.diagnostics[0].message == (
        "`big.kpr` is more than 131,072 bytes; the limit is 131,072")
