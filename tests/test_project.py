"""The workspace model (issue 11): the project file `kprules.toml` (found upward from the
working folder, the first one only, never a sibling folder), the bundled library by name,
repeated --seeds and --cases merged, and `kprules init`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kprules.cli import cli
from kprules.cli.init_cmd import starter_files
from kprules.core.diagnostics import PolicyError
from kprules.syntax.project import bundled, find_project, seed_folders
from kprules.syntax.search import find_module
from kprules.syntax.seeds import merge_seeds

VOCAB = 'facts shipments "v"\n  fact rough: bool\n'
POLICY = 'policy {name} "p"\n  status current\n  reads shipments\n' \
         'define cd = rough\n'
CITING = ('policy {name} "p"\n  status proposed\n  amends kpcs_2003\n'
          'redefine rough_diamond "rough"\n  cite {seed} "s" "{quote}"\n  = form = rough\n')


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _seed(ident: str, text: str) -> str:
    return f'+++\nid = "{ident}"\ntitle = "{ident}"\n+++\n\n{text}\n'


def kprules(cwd: Path, *args: str) -> tuple[int, str, str]:
    """Run the command line in-process from `cwd`: (exit status, stdout, stderr)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- finding the project file


def test_the_project_file_is_found_upward_and_the_first_one_wins(tmp_path: Path) -> None:
    _tree(tmp_path, {"kprules.toml": 'policies = ["outer"]\n',
                     "inner/kprules.toml": 'policies = ["mine"]\nseeds = ["s1", "s2"]\n'})
    (tmp_path / "inner" / "a" / "b").mkdir(parents=True)
    project = find_project(tmp_path / "inner" / "a" / "b")
    assert project is not None
    assert project.file == (tmp_path / "inner" / "kprules.toml").resolve()
    assert project.policies == ((tmp_path / "inner" / "mine").resolve(),)
    assert project.seeds == ((tmp_path / "inner" / "s1").resolve(),
                             (tmp_path / "inner" / "s2").resolve())
    outer = find_project(tmp_path)
    assert outer is not None and outer.policies == ((tmp_path / "outer").resolve(),)


def test_no_project_file_is_looked_for_below_or_beside(tmp_path: Path) -> None:
    _tree(tmp_path, {"sibling/kprules.toml": 'policies = ["."]\n',
                     "here/sub/kprules.toml": 'policies = ["."]\n'})
    markers = [p for p in tmp_path.resolve().parents if (p / "kprules.toml").exists()]
    assert markers == [], "the temporary folder must not be inside a project for this test"
    assert find_project(tmp_path / "here") is None


def test_a_module_is_never_found_beyond_the_project(tmp_path: Path) -> None:
    _tree(tmp_path, {
        "facts.kpr": VOCAB,                                   # above the project
        "sibling/facts.kpr": VOCAB,                           # beside it
        "project/kprules.toml": 'policies = ["policies"]\n',
        "project/policies/p.kpr": POLICY.format(name="p"),
        "project/elsewhere/facts.kpr": VOCAB,                 # in the project, not named in it
    })
    project = tmp_path / "project"
    assert find_module("shipments", project / "policies") is None
    code, out, _ = kprules(project, "check", "--format", "gnu", "policies")
    assert code == 1 and "no vocabulary named `shipments` [KP202]" in out
    _tree(project, {"policies/vocab/facts.kpr": VOCAB})
    assert find_module("shipments", project / "policies") == \
        (project / "policies" / "vocab" / "facts.kpr").resolve()


def test_a_fixture_folder_with_a_project_file_resolves_whatever_the_working_folder(
        tmp_path: Path) -> None:
    root = _tree(tmp_path / "fixture", {"kprules.toml": 'policies = ["."]\n',
                                        "facts.kpr": VOCAB, "a/p.kpr": POLICY.format(name="p")})
    (tmp_path / "elsewhere").mkdir()
    code, _, err = kprules(tmp_path / "elsewhere", "check", str(root / "a" / "p.kpr"))
    assert code == 0, err
    assert "note: `shipments` is read from " in err


def test_a_malformed_project_file_is_a_located_error(tmp_path: Path) -> None:
    _tree(tmp_path, {"kprules.toml": "policies = [1]\n", "v.kpr": VOCAB})
    with pytest.raises(PolicyError) as raised:
        find_project(tmp_path)
    assert raised.value.diagnostics[0].code == "KP105"
    code, out, _ = kprules(tmp_path, "check", "v.kpr")
    assert code == 1
    assert out.startswith("error[KP105]: the project file `kprules.toml` `policies` must be a "
                          "list of folders\n")


@pytest.mark.parametrize(("text", "line"), [
    ('policies = ["p"]\n"extra" = 1\n', '"extra" = 1'),
    ("policies = ['p']\n\n[tool]\nx = 1\n", "[tool]"),
    ('policies = ["p"]\n[[tool]]\n', "[[tool]]"),
    ('policies = ["p"]\n  tool.x = 1\n', "  tool.x = 1"),
])
def test_an_unknown_key_is_located_however_written(tmp_path: Path, text: str,
                                                   line: str) -> None:
    """A quoted key, a table or a dotted key is found where it is written (KP105 pointed at
    line 1 for all but a bare `key =`)."""
    _tree(tmp_path, {"kprules.toml": text})
    with pytest.raises(PolicyError) as raised:
        find_project(tmp_path)
    (d,) = raised.value.diagnostics
    assert d.span is not None and d.code == "KP105"
    number = text.splitlines().index(line) + 1
    assert d.span.source == "kprules.toml" or d.span.source.endswith("kprules.toml")
    assert text[: d.span.start].count("\n") + 1 == number


def test_a_file_listed_as_a_folder_is_a_located_error(tmp_path: Path) -> None:
    _tree(tmp_path, {"kprules.toml": 'policies = ["."]\nseeds = ["seeds", "kprules.toml"]\n',
                     "v.kpr": VOCAB})
    code, out, _ = kprules(tmp_path, "check", "v.kpr")
    assert code == 1
    assert out == (
        "error[KP105]: the project file `kprules.toml` lists `kprules.toml` in `seeds`, which is "
        "a file, not a folder\n"
        " --> kprules.toml:2:19\n"
        "  |\n"
        '2 | seeds = ["seeds", "kprules.toml"]\n'
        "  |                   ^^^^^^^^^^^^^^\n"
        '  = hint: a project file lists folders: policies = ["policies"], seeds = ["seeds"], '
        'cases = ["cases"]\n')


def test_a_folder_not_made_yet_is_read_as_empty(tmp_path: Path) -> None:
    _tree(tmp_path, {"kprules.toml": 'seeds = ["seeds"]\ncases = ["cases"]\n', "v.kpr": VOCAB})
    project = find_project(tmp_path)
    assert project is not None and project.cases == ((tmp_path / "cases").resolve(),)
    code, _, err = kprules(tmp_path, "check", "v.kpr")
    assert code == 0, err


# ---------------------------------------------------------------- the bundled library


def test_the_bundled_library_is_available_by_name(tmp_path: Path) -> None:
    assert find_module("kpcs_2003", tmp_path) == bundled().policies / "kpcs_2003.kpr"
    assert find_module("adpa_2025", tmp_path) == \
        bundled().policies / "proposals" / "adpa_2025.kpr"
    _tree(tmp_path, {"mine.kpr": CITING.format(
        name="mine", seed="kpcs_core_document",
        quote="rough diamonds used by rebel movements or their allies")})
    code, out, err = kprules(tmp_path, "check", "--strict", "--format", "json", "mine.kpr")
    assert code == 0, out + err
    read = {m["name"]: m for m in json.loads(out)["modules"]}
    assert read["mine"] == {"name": "mine", "file": "mine.kpr", "given": True, "bundled": False}
    assert read["kpcs_2003"]["bundled"] is True and read["kpcs_2003"]["given"] is False
    assert read["kpcs_2003"]["file"].endswith("policies/kpcs_2003.kpr")


def test_eval_and_explain_name_bundled_policies_from_an_empty_folder(tmp_path: Path) -> None:
    code, out, err = kprules(tmp_path, "eval", "kpcs_2003", "--cases",
                             "@library/sl-ruf-2001.toml", "--term", "conflict_diamond")
    assert code == 0, err
    assert out.endswith("  kpcs_2003.conflict_diamond  true\n")


def test_two_policy_folders_declaring_one_policy_name_both(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/v.kpr": VOCAB, "b/v.kpr": VOCAB})
    code, out, _ = kprules(tmp_path, "check", "--format", "gnu", "a", "b")
    assert code == 1
    assert out.splitlines()[0] == "b/v.kpr:1:7: error: `shipments` is declared by two files " \
        "[KP210]"
    assert out.splitlines()[2] == "a/v.kpr:1:7: note: also declared here"


# ---------------------------------------------------------------- repeated --seeds and --cases


def test_seeds_folders_merge_first_given_first(tmp_path: Path) -> None:
    _tree(tmp_path, {"one/x.md": _seed("x", "the first text"),
                     "two/x.md": _seed("x", "the second text"),
                     "two/y.md": _seed("y", "only in two")})
    merged = merge_seeds(seed_folders([tmp_path], [tmp_path / "one", tmp_path / "two"]))
    assert merged["x"].contains("the first text") and not merged["x"].contains("second")
    assert merged["y"].contains("only in two")
    assert "kpcs_core_document" in merged  # the bundled seeds come last
    assert "nowhere" not in merged


def test_check_with_two_seeds_options_and_the_bundled_seeds(tmp_path: Path) -> None:
    _tree(tmp_path, {
        "s1/mine.md": _seed("mine", "rough diamonds in my draft"),
        "s2/other.md": _seed("other", "rough diamonds in another draft"),
        "a.kpr": CITING.format(name="a", seed="mine", quote="rough diamonds in my draft"),
        "b.kpr": CITING.format(name="b", seed="other", quote="in another draft"),
        "c.kpr": CITING.format(name="c", seed="kpcs_core_document", quote="CONFLICT DIAMONDS"),
    })
    code, out, err = kprules(tmp_path, "check", "--strict", "--seeds", "s1", "--seeds", "s2",
                             "a.kpr", "b.kpr", "c.kpr")
    assert (code, out) == (0, ""), err
    code, out, _ = kprules(tmp_path, "check", "--format", "gnu", "--seeds", "s1", "b.kpr")
    assert code == 1 and "no source document `other` in the seeds folder [KP212]" in out


def _hints(shown: str) -> list[str]:
    return [line.strip() for line in shown.splitlines() if line.strip().startswith("= hint")]


def test_the_hints_of_a_missing_seed_and_a_wrong_quotation_name_the_real_folder(
        tmp_path: Path) -> None:
    """KP212 names the project's seeds folder (one not made yet included), not `seeds/`;
    KP213 names the file the seed was read from."""
    _tree(tmp_path, {
        "kprules.toml": 'policies = ["."]\nseeds = "sources"\n',
        "a.kpr": CITING.format(name="a", seed="draft", quote="x"),
    })
    code, err, _ = kprules(tmp_path, "check", "a.kpr")
    assert code == 1 and _hints(err) == ["= hint: add sources/draft.md"]
    _tree(tmp_path, {"sources/draft.md": _seed("draft", "rough diamonds")})
    code, err, _ = kprules(tmp_path, "check", "a.kpr")
    assert _hints(err) == ["= hint: quote the text of sources/draft.md exactly (`...` marks a "
                           "gap)"]
    code, err, _ = kprules(tmp_path, "check", "--seeds", "mine", "a.kpr")
    assert _hints(err) == ["= hint: quote the text of sources/draft.md exactly (`...` marks a "
                           "gap)"]


def test_without_a_folder_of_one_s_own_the_hint_names_none_to_edit(tmp_path: Path) -> None:
    """Outside a project, the only seeds folder is the bundled library's, inside kprules:
    the hint says where a seed of one's own goes instead of naming that folder."""
    _tree(tmp_path, {"a.kpr": CITING.format(name="a", seed="draft", quote="x")})
    code, err, _ = kprules(tmp_path, "check", "a.kpr")
    assert code == 1 and _hints(err) == [
        "= hint: add draft.md to a seeds folder of your own (`seeds` in kprules.toml, or "
        "--seeds)"]
    code, err, _ = kprules(tmp_path, "check", "--seeds", "notes", "a.kpr")
    assert _hints(err) == ["= hint: add notes/draft.md"]


def test_test_merges_the_bundled_cases_with_ones_own(tmp_path: Path) -> None:
    for name, text in starter_files("kpcs_2003").items():
        _tree(tmp_path, {name: text})
    code, out, err = kprules(tmp_path, "test")
    assert code == 0, out + err
    assert "1 case, 2 expectations: 2 passed, 0 failed" in out
    code, out, err = kprules(tmp_path, "test", "--cases", "@library/sl-ruf-2001.toml",
                             "--cases", "cases")
    assert code == 0, out + err
    assert "2 cases, " in out and "0 failed" in out


def test_a_project_s_own_copy_of_a_bundled_policy_stands_for_it_in_test(
        tmp_path: Path) -> None:
    """`test --cases @library` in a project with its own `kpcs_2003` uses the project's, as
    eval and compare do (the bundled one was read too: KP210, `declared by two files`)."""
    text = (bundled().policies / "kpcs_2003.kpr").read_text(encoding="utf-8")
    _tree(tmp_path, {"kprules.toml": 'policies = ["policies"]\n',
                     "policies/kpcs_2003.kpr": text.replace(
                         "KPCS Core Document (2003)", "Our copy of the KPCS Core Document")})
    code, out, err = kprules(tmp_path, "test", "--cases", "@library/sl-ruf-2001.toml")
    assert code == 0, out + err
    assert "0 failed" in out and "KP210" not in out + err
    code, out, err = kprules(tmp_path, "explain", "kpcs_2003", "--case",
                             "@library/sl-ruf-2001.toml")
    assert code == 0 and "Our copy of the KPCS Core Document" in out, out + err


def test_test_outside_a_project_without_paths_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = kprules(tmp_path, "test")
    assert code == 2
    assert err.startswith("error[KP603]: no policies to test: ")


# ---------------------------------------------------------------- kprules init


def test_init_writes_a_starter_folder_that_checks_strictly(tmp_path: Path) -> None:
    code, _, err = kprules(tmp_path, "init", "drafts", "--amends", "kpcs_2003")
    assert code == 0
    assert err.splitlines() == [f"wrote drafts/{name}" for name in starter_files("kpcs_2003")]
    code, out, err = kprules(tmp_path / "drafts", "check", "--strict", "policies")
    assert (code, out) == (0, ""), err


def test_init_never_overwrites(tmp_path: Path) -> None:
    _tree(tmp_path, {"kprules.toml": "# mine\n"})
    code, _, err = kprules(tmp_path, "init")
    assert code == 0
    assert err.splitlines()[0] == "kept kprules.toml (it exists)"
    assert (tmp_path / "kprules.toml").read_text() == "# mine\n"
    assert (tmp_path / "policies" / "my_proposal.kpr").exists()


def test_init_amending_another_bundled_policy(tmp_path: Path) -> None:
    code, _, _ = kprules(tmp_path, "init", "--amends", "state_actors")
    assert code == 0
    code, out, err = kprules(tmp_path, "check", "--strict", "policies")
    assert (code, out) == (0, ""), err


def test_init_refuses_a_name_that_is_not_a_policy_name(tmp_path: Path) -> None:
    code, _, err = kprules(tmp_path, "init", "--amends", "kpcs-2003")
    assert code == 2 and "is not a policy name" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("args", "said"), [
    (["--amends", "nosuch"], "no policy `nosuch` in the bundled library or in the project"),
    (["--amends", "kp_trade"], "no decision of `kp_trade` uses `conflict_diamond`"),
    (["--amends", "eu_russia_diamonds"],
     "`eu_russia_diamonds` has no `conflict_diamond` for the starter to redefine"),
    (["afile"], "`afile` is a file, not a folder"),
])
def test_init_refuses_what_the_starter_cannot_amend_or_write_into(
        tmp_path: Path, args: list[str], said: str) -> None:
    (tmp_path / "afile").write_text("x\n", encoding="utf-8")
    code, _, err = kprules(tmp_path, "init", *args)
    assert code == 2 and said in " ".join(err.split()), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # nothing written


OURS = ('policy ours "ours"\n  status current\n  reads kimberley\n\n'
        'define conflict_diamond "cd"\n  = form = rough and used_by = rebel_movement\n'
        'decision trade: {ok, banned} "t"\n  default ok\n  banned when conflict_diamond\n')


@pytest.mark.parametrize("where", ["policies", "lib"])
def test_init_amends_a_policy_of_the_project(tmp_path: Path, where: str) -> None:
    """A base of the project: in the folder's `policies/`, or in a policy folder its
    `kprules.toml` names (that one was not looked for); the starter checks strictly and its
    case's expectations hold."""
    if where == "lib":
        _tree(tmp_path, {"kprules.toml": 'policies = ["lib"]\n'})
    _tree(tmp_path, {f"{where}/ours.kpr": OURS})
    code, _, err = kprules(tmp_path, "init", "--amends", "ours")
    assert code == 0, err
    assert "amends ours" in (tmp_path / "policies" / "my_proposal.kpr").read_text("utf-8")
    code, out, err = kprules(tmp_path, "check", "--strict", "--no-seeds",
                             "policies/my_proposal.kpr")
    assert (code, out) == (0, ""), err


def test_init_refuses_a_project_policy_without_the_term(tmp_path: Path) -> None:
    _tree(tmp_path, {"policies/ours.kpr": OURS.replace("conflict_diamond", "cd")})
    code, _, err = kprules(tmp_path, "init", "--amends", "ours")
    assert code == 2 and "`ours` has no `conflict_diamond`" in " ".join(err.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policies"]


@pytest.mark.parametrize(("base", "value"), [
    ("kpcs_2003", "false"), ("adpa_2025", "true"), ("canada_2018", '"unknown"')])
def test_the_starter_case_expects_what_its_base_gives(tmp_path: Path, base: str,
                                                      value: str) -> None:
    """The starter case's expectation of the base is the base's own value (it was `false`
    whatever the base, so `kprules test` failed in the starter of most proposals)."""
    code, _, err = kprules(tmp_path, "init", "--amends", base)
    assert code == 0, err
    case = (tmp_path / "cases" / "militia.toml").read_text("utf-8")
    assert f"{base}.conflict_diamond = {value}\n" in case
    code, out, err = kprules(tmp_path, "test")
    assert code == 0, out + err


def test_init_writes_nothing_where_a_file_stands_for_a_folder(tmp_path: Path) -> None:
    """`policies` is a file: an error and exit 1, with nothing written (it said `kept
    policies/my_proposal.kpr (it exists)` and exit 0, leaving a broken project)."""
    (tmp_path / "policies").write_text("notes\n", encoding="utf-8")
    code, _, err = kprules(tmp_path, "init")
    assert code == 1
    assert err == ("error[KP100]: cannot write `policies/my_proposal.kpr`: `policies` is a "
                   "file, not a folder\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policies"]


def test_a_file_s_own_project_comes_before_the_working_folder_s(tmp_path: Path) -> None:
    """A project inside another, both declaring a base `b`: a policy of the inner project
    amends the inner `b` from any working folder, and `eval` agrees with `compare` (from the
    outer folder, `eval` took the outer `b` and `compare`, reading the given file's folder, the
    inner one)."""
    base = ('policy b "{which} b"\n  status current\n  reads v\n\n'
            'define big "big" = x > {limit}\n')
    _tree(tmp_path, {
        "kprules.toml": 'policies = ["lib"]\n',
        "lib/v.kpr": 'facts v "v"\nfact x: integer "x"\n',
        "lib/b.kpr": base.format(which="OUTER", limit=10),
        "inner/kprules.toml": 'policies = ["lib2"]\n',
        "inner/lib2/v.kpr": 'facts v "v"\nfact x: integer "x"\n',
        "inner/lib2/b.kpr": base.format(which="INNER", limit=100),
        "inner/p.kpr": 'policy p "p"\n  amends b\n\ndefine twice "t" = big\n',
        "d.jsonl": '{"id": "a", "x": 50}\n',
    })
    args = ["--no-seeds", "--engine", "python", "--format", "csv"]
    code, outer, err = kprules(tmp_path, "eval", "inner/p.kpr", "--cases", "d.jsonl", *args)
    assert code == 0, err
    code, inner, err = kprules(tmp_path / "inner", "eval", "p.kpr", "--cases", "../d.jsonl",
                               *args)
    assert code == 0, err
    assert outer == inner == "case,as_of,p.big,p.twice\na,,false,false\n"
    code, out, err = kprules(tmp_path, "compare", "b", "inner/p.kpr", "--cases", "d.jsonl",
                             "--format", "json", "--no-symbolic")
    assert code == 0, err
    report = json.loads(out)
    assert report["base"]["title"] == "INNER b"
    assert report["base"]["location"].startswith("inner/lib2/b.kpr:")


def test_an_empty_folder_does_not_hide_a_policy_name(tmp_path: Path) -> None:
    """A folder named like a policy that holds no policy leaves the name a name, for eval and
    compare alike (it was taken as the path: KP104, `kpcs_2003` holds no `.kpr` files); one
    that holds policies is the path."""
    (tmp_path / "kpcs_2003").mkdir()
    case = ["--cases", "@library/sl-ruf-2001.toml"]
    code, out, err = kprules(tmp_path, "eval", "kpcs_2003", *case)
    assert code == 0 and "evaluated 1 case" in err, out + err
    code, out, err = kprules(tmp_path, "compare", "kpcs_2003", "state_actors", *case, "-q",
                             "--no-symbolic")
    assert code == 0 and out.startswith("kprules compare: kpcs_2003 against state_actors"), err
    (tmp_path / "nothing").mkdir()
    code, _, err = kprules(tmp_path, "eval", "nothing", *case)
    assert code == 1 and "`nothing` holds no `.kpr` files" in err
