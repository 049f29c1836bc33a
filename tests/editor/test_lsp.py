"""`kprules lsp` at the protocol level: each test talks to the server as an editor does, over
stdio (tests/editor/client.py), and compares what it answers with `kprules check --format json`
or with golden files (tests/golden/editor/, `pytest --update-goldens` rewrites them)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.editor.client import Client

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = ROOT / "tests" / "golden" / "editor"
STATE_ACTORS = ROOT / "policies" / "proposals" / "state_actors.kpr"
KPCS = ROOT / "policies" / "kpcs_2003.kpr"

# A proposal with mistakes: a misspelt base term, a misspelt fact, a value of the wrong enum.
MISTAKES = """\
policy mistakes "A proposal with mistakes"
  status proposed
  amends kpcs_2003

redefine conflict_diamond
  "rough diamonds used by rebels or states"
  cite kpcs_core_document "Section I, CONFLICT DIAMONDS"
    "rough diamonds used by rebel movements or their allies"
  = base.conflict_diamnd or (rough_diamond and usd_by = state_owned_enterprise)
"""


def position(path: Path, needle: str, nth: int = 0, delta: int = 0) -> dict[str, int]:
    """The LSP position of the `nth` occurrence of `needle` in a file, `delta` characters in."""
    text = path.read_text(encoding="utf-8")
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += delta
    line = text.count("\n", 0, at)
    return {"line": line, "character": at - (text.rfind("\n", 0, at) + 1)}


def where(uri: str, base: Path = ROOT) -> str:
    return Path(uri.removeprefix("file://")).relative_to(base).as_posix()


def check_json(cwd: Path, name: str) -> list[dict[str, Any]]:
    proc = subprocess.run([sys.executable, "-m", "kprules", "check", "--format", "json", name],
                          cwd=cwd, capture_output=True, text=True, check=False)
    return list(json.loads(proc.stdout)["diagnostics"])


@pytest.fixture(scope="module")
def library() -> Iterator[Client]:
    """A server started in the repository, as an editor opened on it would start it."""
    client = Client(ROOT)
    client.initialize(ROOT)
    for path in (KPCS, STATE_ACTORS):
        uri = client.open(path)
        assert client.diagnostics(uri) == []
    yield client
    client.close()


@pytest.fixture
def copy(tmp_path: Path) -> Iterator[tuple[Path, Client]]:
    """A copy of the bundled library (policies and seeds), and a server started in it."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    (tmp_path / "kprules.toml").write_text('policies = ["policies"]\nseeds = ["seeds"]\n',
                                           encoding="utf-8")
    client = Client(tmp_path, "--debounce", "50")
    client.initialize(tmp_path)
    yield tmp_path, client
    client.close()


def doc(path: Path, **more: Any) -> dict[str, Any]:
    return {"textDocument": {"uri": path.resolve().as_uri()}, **more}


# ------------------------------------------------------------------ diagnostics


def test_diagnostics_are_those_of_kprules_check(copy: tuple[Path, Client]) -> None:
    root, client = copy
    path = root / "policies" / "proposals" / "mistakes.kpr"
    path.write_text(MISTAKES, encoding="utf-8")
    published = client.diagnostics(client.open(path))
    expected = check_json(root, "policies/proposals/mistakes.kpr")
    assert [d["data"] for d in published] == expected
    assert [d["code"] for d in published] == ["KP208", "KP200"]
    for d, e in zip(published, expected, strict=True):
        loc = e["location"]
        assert d["range"]["start"] == {"line": loc["line"] - 1,
                                       "character": loc["column"] - 1}
        assert d["range"]["end"] == {"line": loc["end_line"] - 1,
                                     "character": loc["end_column"] - 1}
        assert d["severity"] == 1 and d["source"] == "kprules"
        assert d["message"] == f"{e['message']}\nhint: {e['hint']}"


def test_warnings_are_those_of_kprules_check(copy: tuple[Path, Client]) -> None:
    """A proposal that checks, with warnings: a definition without a citation, never used."""
    root, client = copy
    path = root / "policies" / "proposals" / "warnings.kpr"
    path.write_text(MISTAKES.replace("mistakes", "warnings").replace(
        "base.conflict_diamnd", "base.conflict_diamond").replace("usd_by", "used_by")
        + "\ndefine spare = rough_diamond\n", encoding="utf-8")
    published = client.diagnostics(client.open(path))
    assert [d["data"] for d in published] == check_json(root, "policies/proposals/warnings.kpr")
    assert {d["severity"] for d in published} == {2}
    assert {d["code"] for d in published} >= {"KP211", "KP216"}


def test_a_change_gives_updated_diagnostics(copy: tuple[Path, Client]) -> None:
    root, client = copy
    path = root / "policies" / "proposals" / "mistakes.kpr"
    path.write_text(MISTAKES, encoding="utf-8")
    uri = client.open(path)
    assert len(client.diagnostics(uri)) == 2
    fixed = MISTAKES.replace("conflict_diamnd", "conflict_diamond").replace(
        "usd_by = state_owned_enterprise", "used_by = militia")
    client.change(uri, fixed)
    path.write_text(fixed, encoding="utf-8")
    published = client.diagnostics(uri)
    assert [d["data"] for d in published] == check_json(root, "policies/proposals/mistakes.kpr")
    assert published == []
    broken = fixed.replace("= base", "= bse")
    client.change(uri, broken, version=3)
    path.write_text(broken, encoding="utf-8")
    [syntax] = client.diagnostics(uri)
    assert [syntax["data"]] == check_json(root, "policies/proposals/mistakes.kpr")
    assert syntax["code"] == "KP111"


def test_a_change_to_a_base_rechecks_the_proposals_amending_it(
        copy: tuple[Path, Client]) -> None:
    root, client = copy
    base = root / "policies" / "kpcs_2003.kpr"
    uri = client.open(base)
    assert client.diagnostics(uri) == []
    names = ("state_actors", "canada_2018", "adpa_2025")
    for name in names:  # checked on opening their base too
        assert client.diagnostics((root / "policies" / "proposals" / f"{name}.kpr").as_uri()) == []
    renamed = base.read_text(encoding="utf-8").replace("define conflict_diamond",
                                                       "define conflict_diamonds")
    client.change(uri, renamed)
    base.write_text(renamed, encoding="utf-8")
    for name in names:
        path = root / "policies" / "proposals" / f"{name}.kpr"
        published = client.diagnostics(path.as_uri())
        expected = check_json(root, f"policies/proposals/{name}.kpr")
        assert [d["data"] for d in published] == [e for e in expected
                                                  if e["location"]["file"].endswith(name
                                                                                    + ".kpr")]
        assert "KP206" in {d["code"] for d in published}


def test_quick_fix_replaces_a_misspelt_name(copy: tuple[Path, Client], golden: Any) -> None:
    root, client = copy
    path = root / "policies" / "proposals" / "mistakes.kpr"
    path.write_text(MISTAKES, encoding="utf-8")
    uri = client.open(path)
    published = client.diagnostics(uri)
    actions = client.request("textDocument/codeAction", doc(
        path, range=published[1]["range"], context={"diagnostics": [published[1]]}))
    shown = [{"title": a["title"], "kind": a["kind"], "preferred": a.get("isPreferred", False),
              "edits": {where(u, root): e for u, e in a["edit"]["changes"].items()}}
             for a in actions]
    golden(GOLDEN / "quick_fix.json", json.dumps(shown, indent=2) + "\n")
    edit = actions[0]["edit"]["changes"][uri][0]
    lines = MISTAKES.split("\n")
    start, end = edit["range"]["start"], edit["range"]["end"]
    line = lines[start["line"]]
    lines[start["line"]] = line[: start["character"]] + edit["newText"] + line[end["character"]:]
    client.change(uri, "\n".join(lines))
    assert [d["code"] for d in client.diagnostics(uri)] == ["KP208"]


# ------------------------------------------------------------------ the bundled library


HOVERS = [
    (KPCS, "define conflict_diamond", 0, 7),
    (KPCS, "used_by in rebels_or_their_allies", 0, 0),
    (KPCS, "define rebels_or_their_allies", 0, 7),
    (KPCS, "define used_by_rebels_or_their_allies", 0, 7),
    (STATE_ACTORS, "base.conflict_diamond", 0, 5),
    (STATE_ACTORS, "amends kpcs_2003", 0, 7),
    (STATE_ACTORS, "cite kp_plenary_2025_dubai", 0, 5),
    (ROOT / "policies" / "facts.kpr", "  rebel_movement\n", 0, 2),
    (ROOT / "policies" / "facts.kpr", "fact used_by", 0, 5),
    (ROOT / "policies" / "kp_statistics.kpr", "then shipment_carats", 0, 5),
    (ROOT / "policies" / "restrictions" / "car.kpr", "decision rough_trade", 0, 9),
    (ROOT / "policies" / "restrictions" / "car.kpr", "base.rough_trade = permitted", 0, 19),
]


def test_hover_on_the_library(library: Client, golden: Any) -> None:
    out = []
    for path, needle, nth, delta in HOVERS:
        result = library.request("textDocument/hover", doc(
            path, position=position(path, needle, nth, delta)))
        out.append(f"## {path.name}: `{needle.strip()}`\n\n{result['contents']['value']}\n")
    golden(GOLDEN / "hover.md", "\n".join(out))


def test_definition_and_references_across_files(library: Client, golden: Any) -> None:
    found: dict[str, Any] = {}
    for path, needle, nth, delta in [(STATE_ACTORS, "base.conflict_diamond", 0, 5),
                                     (STATE_ACTORS, "used_by", 0, 0),
                                     (STATE_ACTORS, "amends kpcs_2003", 0, 7)]:
        locations = library.request("textDocument/definition", doc(
            path, position=position(path, needle, nth, delta)))
        found[f"definition {path.name} {needle}"] = [
            f"{where(loc['uri'])}:{loc['range']['start']['line'] + 1}:"
            f"{loc['range']['start']['character'] + 1}" for loc in locations]
    for needle in ("define conflict_diamond", "define rough_diamond"):
        locations = library.request("textDocument/references", doc(
            KPCS, position=position(KPCS, needle, 0, 7), context={"includeDeclaration": True}))
        found[f"references {needle}"] = [
            f"{where(loc['uri'])}:{loc['range']['start']['line'] + 1}:"
            f"{loc['range']['start']['character'] + 1}" for loc in locations]
    golden(GOLDEN / "navigation.json", json.dumps(found, indent=2) + "\n")
    assert found["definition state_actors.kpr base.conflict_diamond"] == [
        f"policies/kpcs_2003.kpr:{position(KPCS, 'define conflict_diamond')['line'] + 1}:8"]


def test_completion_on_the_library(library: Client, golden: Any) -> None:
    text = STATE_ACTORS.read_text(encoding="utf-8")
    uri = STATE_ACTORS.as_uri()
    cases = {
        "after amends": "amends ",
        "after cite": "  cite ",
        "after base.": "  = base.",
        "an actor value": "  = used_by = ",
        "an actor value in a set": "  = used_by in {rebel_movement, ",
        "an expression": "  = ",
    }
    decision = {"a decision's default": "decision probe_trade: {open, closed}\n  default "}
    found = {}
    for title, written in cases.items():
        edited = text + "\ndefine probe\n" + written
        library.change(uri, edited)
        lines = edited.split("\n")
        pos = {"line": len(lines) - 1, "character": len(lines[-1])}
        result = library.request("textDocument/completion", doc(STATE_ACTORS, position=pos))
        found[title] = [f"{i['label']} ({i.get('detail') or ''})" for i in result["items"]]
    for title, written in decision.items():
        edited = text + "\n" + written
        library.change(uri, edited)
        lines = edited.split("\n")
        pos = {"line": len(lines) - 1, "character": len(lines[-1])}
        result = library.request("textDocument/completion", doc(STATE_ACTORS, position=pos))
        found[title] = [f"{i['label']} ({i.get('detail') or ''})" for i in result["items"]]
    library.change(uri, text)
    golden(GOLDEN / "completion.json", json.dumps(found, indent=2) + "\n")
    assert "kpcs_2003 (KPCS Core Document (2003): conflict diamonds and the trade rules)" in \
        found["after amends"]
    assert all(item.endswith("(actor)") for item in found["an actor value"])


def test_formatting_gives_the_canonical_text(library: Client) -> None:
    text = STATE_ACTORS.read_text(encoding="utf-8")
    messy = "\n".join(line.strip() for line in text.split("\n"))
    library.change(STATE_ACTORS.as_uri(), messy)
    [edit] = library.request("textDocument/formatting", doc(
        STATE_ACTORS, options={"tabSize": 2, "insertSpaces": True}))
    assert edit["range"]["start"] == {"line": 0, "character": 0}
    assert edit["newText"] == text
    library.change(STATE_ACTORS.as_uri(), text)
    assert library.request("textDocument/formatting", doc(
        STATE_ACTORS, options={"tabSize": 2, "insertSpaces": True})) == []


def test_code_lens_evaluates_the_cases_of_a_policy(library: Client, golden: Any) -> None:
    [lens] = library.request("textDocument/codeLens", doc(STATE_ACTORS))
    command = lens["command"]
    assert command["title"] == "Evaluate the cases of state_actors"
    result = library.request("workspace/executeCommand", {
        "command": command["command"], "arguments": command["arguments"]})
    message = library.notification("window/showMessage")["params"]["message"]
    lines = [message] + [f"{'pass' if o['passed'] else 'FAIL'} {o['case']} {o['term']} = "
                         f"{o['got']} ({o['file']}:{o['line']})" for o in result["outcomes"]]
    golden(GOLDEN / "cases.txt", "\n".join(lines) + "\n")
    [lens] = library.request("textDocument/codeLens", doc(STATE_ACTORS))
    assert lens["command"]["title"] == message


def test_the_server_asks_for_the_whole_text_at_each_change(tmp_path: Path) -> None:
    """Full sync: an incremental edit, applied line by line, could drift from the editor's
    text where Python splits lines and editors do not (a form feed, U+2028)."""
    client = Client(tmp_path)
    try:
        result = client.initialize(tmp_path)
        assert result["capabilities"]["textDocumentSync"]["change"] == 1
    finally:
        client.close()


def test_a_document_closed_at_once_after_a_change_keeps_no_diagnostics(
        copy: tuple[Path, Client]) -> None:
    """The check a change scheduled is cancelled by the close: nothing is published after the
    close's empty list (else a ghost diagnostic would stay on a closed file)."""
    root, client = copy
    path = root / "policies" / "proposals" / "mistakes.kpr"
    path.write_text(MISTAKES, encoding="utf-8")
    uri = client.open(path)
    assert client.diagnostics(uri) != []
    client.change(uri, MISTAKES + "\n")
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    published = [client.diagnostics(uri, timeout=10)]
    while True:  # every other publication for the file (the debounce is 50 ms)
        try:
            published.append(client.diagnostics(uri, timeout=0.5))
        except TimeoutError:
            break
    assert published and published[-1] == []


def test_evaluating_the_cases_reports_errors_in_the_case_files(
        copy: tuple[Path, Client]) -> None:
    """A misspelt expectation is not a passing one: the run says the case files have errors
    (a warning), instead of counting the expectations it could read."""
    root, client = copy
    uri = client.open(root / "policies" / "kpcs_2003.kpr")
    client.diagnostics(uri)
    run = client.request("workspace/executeCommand", {
        "command": "kprules.evaluateCases", "arguments": [uri]})
    assert run["problem"] is None and run["outcomes"]  # the bundled cases read, and run
    (root / "policies" / "cases" / "broken.toml").write_text(
        '[case]\nid = "broken"\ntitle = "t"\nsources = ["s"]\n[facts]\nform = "rough"\n'
        '[expect]\nkpcs_2003.conflict_diamond = "maybe"\n', encoding="utf-8")
    run = client.request("workspace/executeCommand", {
        "command": "kprules.evaluateCases", "arguments": [uri]})
    assert run["outcomes"] == [] and run["problem"].startswith(
        "the case files of `cases/` have 1 error (KP4")
    assert run["problem"].endswith("; `kprules check cases/` shows them")
    first = client.notification("window/showMessage", timeout=10)
    second = client.notification("window/showMessage", timeout=10)
    assert (first["params"]["type"], second["params"]["type"]) == (3, 2)  # info, warning


def test_evaluating_the_cases_with_wrong_arguments(library: Client) -> None:
    """Wrong arguments are the client's error (invalid params, with what was expected), not an
    internal error with a traceback; a URI that is not a saved policy file is a problem the
    run reports, not 'the policy has errors'."""
    def error(arguments: list[Any] | None) -> dict[str, Any]:
        library.next_id += 1
        params: dict[str, Any] = {"command": "kprules.evaluateCases"}
        if arguments is not None:
            params["arguments"] = arguments
        library.send({"id": library.next_id, "method": "workspace/executeCommand",
                      "params": params})
        ident = library.next_id
        reply = library._wait(lambda m: m.get("id") == ident and "method" not in m, 30)
        return dict(reply["error"])

    assert error(None) == error([]) == {"code": -32602, "message": (
        "kprules.evaluateCases takes one argument, the URI of a policy document as text; "
        "it was given 0 arguments")}
    assert error([42])["message"].endswith("it was given int")
    for uri in ((ROOT / "README.md").as_uri(), (ROOT / "nowhere.kpr").as_uri(),
                "untitled:Untitled-1"):
        run = library.request("workspace/executeCommand", {
            "command": "kprules.evaluateCases", "arguments": [uri]})
        assert run["outcomes"] == [] and run["problem"] == (
            f"`{uri}` is not a saved policy file (.kpr): evaluate the cases of a policy from "
            "its document")
    assert library.request("workspace/executeCommand", {
        "command": "kprules.evaluateCases", "arguments": [KPCS.as_uri()]})["problem"] is None


def test_a_new_project_quotes_the_bundled_seeds_as_check_does(tmp_path: Path) -> None:
    """In a project `kprules init` made, the server reads the seeds `kprules check` reads: the
    project's and the bundled library's. A citation of a bundled source is no KP212, and the
    starter proposal's cases run (they said 'the policy has errors': kpcs_2003, checked against
    the project's seeds alone, had 18 KP212)."""
    root = tmp_path / "drafts"
    subprocess.run([sys.executable, "-m", "kprules", "init", str(root)], check=True,
                   capture_output=True)
    proposal = root / "policies" / "my_proposal.kpr"
    text = proposal.read_text(encoding="utf-8").replace(
        '  cite my_proposal_text "Proposed wording"',
        '  cite kpcs_core_document "Section I" "CONFLICT DIAMONDS means rough diamonds"\n'
        '  cite my_proposal_text "Proposed wording"')
    proposal.write_text(text, encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "kprules", "check", "--strict",
                            "--format", "json", str(proposal)], cwd=root, capture_output=True,
                           text=True)
    assert check.returncode == 0 and json.loads(check.stdout)["diagnostics"] == []
    client = Client(root)
    try:
        client.initialize(root)
        uri = client.open(proposal)
        assert client.diagnostics(uri) == []
        run = client.request("workspace/executeCommand", {
            "command": "kprules.evaluateCases", "arguments": [uri]})
        assert run["problem"] is None and run["outcomes"] and all(
            o["passed"] for o in run["outcomes"])
        definition = client.request("textDocument/definition", {
            "textDocument": {"uri": uri}, "position": position(proposal, "kpcs_core_document")})
        assert definition[0]["uri"].endswith("/seeds/kpcs_core_document.md")
    finally:
        client.close()
