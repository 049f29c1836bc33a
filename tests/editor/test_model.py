"""The server's model in process: positions in the protocol's code units, what every name of
the bundled library means, and the project's parse cache and dependents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kprules.core.source import Source
from kprules.editor import places
from kprules.editor.complete import complete, enclosing_decision
from kprules.editor.index import Resolver, occurrences
from kprules.editor.project import Project

ROOT = Path(__file__).resolve().parent.parent.parent
LIBRARY = sorted((ROOT / "policies").rglob("*.kpr"))

text_with_wide = st.text(alphabet=st.sampled_from(list("ab \n\té😀\U0001f48e\r")), max_size=40)


@given(text_with_wide, st.sampled_from(["utf-8", "utf-16", "utf-32"]), st.data())
def test_offsets_and_positions_round_trip(text: str, encoding: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(text)))
    source = Source("t", text)
    pos = places.position(source, at, encoding)
    assert places.offset(text, pos, encoding) == at


def test_lines_are_counted_as_the_protocol_counts_them() -> None:
    """A lone carriage return ends a line for the protocol (and for the editor showing it), as
    `\r\n` and `\n` do: a diagnostic after one was placed a line too high, on the wrong text."""
    text = "a\rb\r\nc\nd"
    source = Source("t", text)
    for ch, line in (("a", 0), ("b", 1), ("c", 2), ("d", 3)):
        pos = places.position(source, text.index(ch))
        assert pos == places.Position(line, 0)
        assert places.offset(text, pos) == text.index(ch)
    assert places.offset(text, places.Position(0, 9)) == text.index("\r")  # clamped to a line
    assert places.offset(text, places.Position(9, 0)) == len(text)


def test_columns_are_counted_in_utf16_units() -> None:
    source = Source("t", 'define x "\U0001f48e" = y\n')
    at = source.text.index("y")
    assert places.position(source, at).character == at + 1  # the gem is two UTF-16 units
    assert places.position(source, at, "utf-32").character == at
    assert places.position(source, at, "utf-8").character == at + 3


def _project() -> Project:
    project = Project()
    for path in LIBRARY:
        project.open(path, path.read_text(encoding="utf-8"))
    return project


def test_every_name_in_the_library_means_something_declared() -> None:
    """Each identifier of every bundled module resolves, and a declared symbol's declaration
    is found (a status word and a country code are the only names without one)."""
    project = _project()
    resolver = Resolver({name: m for name, (_, m) in project.modules().items()})
    unresolved, undeclared = [], []
    for _, module in project.modules().values():
        for occ in occurrences(module):
            if occ.role == "status":
                continue
            symbol = resolver.resolve(occ)
            where = f"{occ.ident.span.source}:{occ.ident.span.start} {occ.ident.name}"
            if symbol is None:
                unresolved.append(where)
            elif symbol.kind not in ("type", "country", "source") and \
                    resolver.declaration(symbol) is None:
                undeclared.append(where)
    assert unresolved == []
    assert undeclared == []


def test_a_proposal_is_a_dependent_of_its_base_and_parses_are_kept() -> None:
    project = _project()
    kpcs = ROOT / "policies" / "kpcs_2003.kpr"
    names = {p.name for p in project.dependents(kpcs)}
    assert {p.name for p in (ROOT / "policies" / "proposals").glob("*.kpr")} <= names
    assert project.dependents(ROOT / "policies" / "proposals" / "state_actors.kpr") == []
    first = project.parsed(kpcs)
    assert project.parsed(kpcs) is first
    project.change(kpcs, first.text + "\n# more\n")  # type: ignore[operator]
    assert project.parsed(kpcs) is not first


def test_completion_while_the_file_does_not_parse_uses_its_last_parse() -> None:
    project = _project()
    path = ROOT / "policies" / "proposals" / "state_actors.kpr"
    project.check(path)
    text = path.read_text(encoding="utf-8") + "\ndefine probe = used_by = "
    project.change(path, text)
    assert project.parsed(path).module is None
    module = project.last_module(path)
    assert module is not None and module.name == "state_actors"
    resolver = Resolver({name: m for name, (_, m) in project.modules().items()})
    items = complete(text, module.name, resolver, project.analyses[path].result.policies, None)
    assert {i.label for i in items} >= {"rebel_movement", "state_owned_enterprise"}
    assert {i.kind for i in items} == {"value"}


def test_lsp_without_pygls_says_how_to_install_it() -> None:
    code = ("import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
            "from kprules.cli import main; main(['lsp'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 2
    assert "pip install 'kprules[lsp]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_files_appearing_and_disappearing_on_disk(tmp_path: Path) -> None:
    (tmp_path / "kprules.toml").write_text('policies = ["."]\n', encoding="utf-8")
    base = tmp_path / "base.kpr"
    base.write_text('facts v "x"\n  fact a: bool\n', encoding="utf-8")
    policy = tmp_path / "p.kpr"
    policy.write_text('policy p "x"\n  status proposed\n  reads v\ndefine b = a\n',
                      encoding="utf-8")
    project = Project()
    project.open(policy, policy.read_text(encoding="utf-8"))
    assert set(project.known) == {base.resolve(), policy.resolve()} | {policy}
    assert [d.code for d in project.check(policy).diagnostics if d.is_error] == []
    base.unlink()
    project.forget(base.resolve())
    assert base.resolve() not in project.known
    assert "KP202" in {d.code for d in project.check(policy).diagnostics}
    base.write_text('facts v "x"\n  fact a: bool\n', encoding="utf-8")
    project.forget(base.resolve())
    assert base.resolve() in project.known
    assert [d.code for d in project.check(policy).diagnostics if d.is_error] == []


STATE_ACTORS = ROOT / "policies" / "proposals" / "state_actors.kpr"
_ORIGINAL = STATE_ACTORS.read_text(encoding="utf-8")


@given(st.integers(0, len(_ORIGINAL)), st.integers(0, 40), st.text(max_size=8),
       st.integers(0, 80), st.integers(0, 120))
def test_every_answer_survives_a_broken_edit(at: int, cut: int, insert: str, line: int,
                                             column: int) -> None:
    """Whatever a drafter has half typed, the server answers (perhaps with nothing) and
    never raises: the text is the library's proposal with a slice replaced."""
    from lsprotocol import types as lsp

    from kprules.editor.queries import Queries

    project = Project()
    project.open(STATE_ACTORS, _ORIGINAL[:at] + insert + _ORIGINAL[at + cut:])
    project.check(STATE_ACTORS)
    queries = Queries(project)
    pos = lsp.Position(line, column)
    queries.hover(STATE_ACTORS, pos)
    queries.definition(STATE_ACTORS, pos)
    queries.references(STATE_ACTORS, pos, True)
    queries.completion(STATE_ACTORS, pos)
    queries.code_actions(STATE_ACTORS, lsp.Range(lsp.Position(0, 0), pos))
    queries.formatting(STATE_ACTORS)
    queries.code_lenses(STATE_ACTORS, {})


def test_completion_after_default_gives_the_decisions_outcomes() -> None:
    project = _project()
    project.check(STATE_ACTORS)
    resolver = Resolver({name: m for name, (_, m) in project.modules().items()})
    typed = project.typed(STATE_ACTORS)
    named = _ORIGINAL + "\ndecision who: actor\n  default "
    items = complete(named[-400:], "state_actors", resolver, typed, None,
                     enclosing_decision(named))
    assert {i.label for i in items} >= {"rebel_movement", "militia"}
    assert {i.detail for i in items} == {"actor"}
    inline = _ORIGINAL + "\nredefine decision rough_trade: {a, b}\n  a when true\n  except "
    items = complete(inline[-400:], "state_actors", resolver, typed, None,
                     enclosing_decision(inline))
    assert [i.label for i in items] == ["a", "b"]
    after = _ORIGINAL + "\ndecision who: actor\n  default militia\ndefine x = y\n  except "
    assert enclosing_decision(after) is None
