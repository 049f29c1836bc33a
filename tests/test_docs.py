"""The documentation's examples run: language.md's `kpr` blocks check, library.md's Python runs,
cases.md's case files pass, the commands `--help` shows run, and every `kprules.x.y` name the
docs give exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kprules.checker import check
from kprules.core.render import render_all
from kprules.syntax.loader import load_texts
from kprules.syntax.seeds import load_seeds

ROOT = Path(__file__).resolve().parent.parent

DOCS = ROOT / "docs"


def blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_language_examples_check_cleanly() -> None:
    texts = blocks(DOCS / "language.md", "kpr")
    assert len(texts) >= 6
    ws = load_texts((f"language.md block {i}", t) for i, t in enumerate(texts, 1))
    result = check(ws, load_seeds(ROOT / "seeds"))
    assert not result.diagnostics, render_all(result.diagnostics, ws.sources, "text")
    assert set(result.policies) >= {"kpcs_2003_example", "state_actors_example"}


def test_library_examples_run(capsys: object) -> None:
    code = blocks(DOCS / "library.md", "python")
    assert len(code) >= 8
    namespace: dict[str, object] = {"__name__": "library_md"}
    for i, block in enumerate(code, 1):
        exec(compile(block, f"docs/library.md block {i}", "exec"), namespace)


def test_the_readme_python_runs(monkeypatch: pytest.MonkeyPatch, capsys: object) -> None:
    """The README's Python block runs as pasted, from the repository root."""
    code = blocks(ROOT / "README.md", "python")
    assert code
    monkeypatch.chdir(ROOT)
    for i, block in enumerate(code, 1):
        exec(compile(block, f"README.md block {i}", "exec"), {"__name__": "readme"})


# Dotted names in backquotes that are not Python: the project file, the editor's command.
NOT_PYTHON = {"kprules.toml", "kprules.evaluateCases"}


def _resolves(dotted: str) -> bool:
    """Whether `kprules.a.b.c` is a module, or an attribute of the longest module prefix."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        return all((obj := getattr(obj, name, _MISSING)) is not _MISSING for name in parts[i:])
    return False


_MISSING = object()


def test_every_python_name_the_docs_give_exists() -> None:
    """`kprules.x.y` in the README and docs/ names a module or something in one (a renamed
    function or a moved module leaves no name behind)."""
    from kprules.editor.queries import EVALUATE

    assert EVALUATE in NOT_PYTHON
    missing = []
    for doc in sorted([*DOCS.glob("*.md"), ROOT / "README.md"]):
        text = doc.read_text(encoding="utf-8")
        for m in re.finditer(r"`(kprules(?:\.[A-Za-z_]\w*)+)", text):
            name = m.group(1)
            if name not in NOT_PYTHON and "__main__" not in name and not _resolves(name):
                missing.append(f"{doc.name}:{text.count(chr(10), 0, m.start()) + 1}: {name}")
    assert not missing, "\n".join(missing)


def test_the_case_file_examples_pass_their_expectations(tmp_path: Path) -> None:
    """Each case file cases.md shows is read without a diagnostic, and every expectation it
    writes holds against the bundled library (a copied example teaches the right values)."""
    from click.testing import CliRunner

    from kprules.cli import cli

    examples = blocks(DOCS / "cases.md", "toml")
    assert len(examples) >= 3
    for i, text in enumerate(examples, 1):
        path = tmp_path / f"example_{i}.toml"
        path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["test", str(ROOT / "policies"), "--cases", str(path)])
        assert result.exit_code == 0, f"cases.md example {i}:\n{result.output}"


def _help_examples(text: str) -> list[list[str]]:
    """The commands under `Examples:` in a help text, continuation lines joined."""
    import shlex

    section = re.search(r"Examples?:\n(.*?)(?:\n\n|\Z)", text, re.S)
    lines = section.group(1).replace("\\\n", " ").splitlines() if section else []
    return [shlex.split(line)[1:] for line in lines if line.strip().startswith("kprules ")]


@pytest.mark.parametrize("command", ["check", "compare", "diff", "eval", "explain", "test"])
def test_the_help_examples_run(command: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `--help` shows as an example runs as written from the repository's root (the
    commands that only read; fmt's examples rewrite files, and are tested in test_fmt.py)."""
    from click.testing import CliRunner

    from kprules.cli import cli

    monkeypatch.chdir(ROOT)
    text = CliRunner().invoke(cli, [command, "--help"], terminal_width=100).output
    examples = _help_examples(text)
    assert examples or command not in ("eval", "explain")
    for argv in examples:
        assert argv[0] == command, argv
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, f"kprules {' '.join(argv)}\n{result.output}"


def excerpt_missing(excerpt: str, text: str) -> str | None:
    """The first line of `excerpt` that is not a line of `text` in order (a line `...` stands
    for lines left out), or None: the excerpt is what the text says."""
    lines, at = text.splitlines(), 0
    for want in excerpt.splitlines():
        if want.strip() == "...":
            continue
        while at < len(lines) and lines[at] != want:
            at += 1
        if at == len(lines):
            return want
        at += 1
    return None


def test_excerpt_missing_finds_a_changed_or_reordered_line() -> None:
    text = "a\nb\nc\n"
    assert excerpt_missing("a\n  ...\nc\n", text) is None
    assert excerpt_missing("c\na\n", text) == "a"
    assert excerpt_missing("a\nb (changed)\n", text) == "b (changed)"


def test_the_compare_report_excerpts_are_the_reports() -> None:
    """compare.md's excerpts of the fixture report are lines of the golden reports (which
    tests/compare/test_golden.py keeps equal to what the command prints), in order."""
    golden = ROOT / "tests" / "golden" / "reports" / "fixtures"
    excerpts = [b for b in blocks(DOCS / "compare.md", "")
                if b.startswith(("kprules compare: base_2003", "== state-2022"))]
    assert len(excerpts) == 2
    summary, detail = (golden / "compare.txt", golden / "compare-detail.txt")
    assert excerpt_missing(excerpts[0], summary.read_text(encoding="utf-8")) is None
    assert excerpt_missing(excerpts[1], detail.read_text(encoding="utf-8")) is None


def _transcripts(path: Path) -> list[tuple[list[str], str]]:
    """The `$ kprules ...` blocks of a page: (the command's arguments, what it is shown to
    print)."""
    import shlex

    found = []
    for block in blocks(path, ""):
        if block.startswith("$ kprules "):
            command, _, shown = block.partition("\n")
            while command.endswith("\\"):
                more, _, shown = shown.partition("\n")
                command = command[:-1] + " " + more
            found.append((shlex.split(command)[2:], shown))
    return found


def test_the_policy_guide_transcripts_are_what_the_commands_print(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """policies.md's `$ kprules compare` transcripts, run from the repository's root, print
    every line the page shows, in order (a line `...` stands for lines left out)."""
    from click.testing import CliRunner

    from kprules.cli import cli

    monkeypatch.chdir(ROOT)
    transcripts = _transcripts(DOCS / "policies.md")
    assert len(transcripts) >= 5
    for argv, shown in transcripts:
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output
        missing = excerpt_missing(shown, result.stdout)
        assert missing is None, f"kprules {' '.join(argv)} does not print:\n{missing}"
