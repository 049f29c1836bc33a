"""docs/library.md's examples pass `mypy --strict` as one program, and the types they use are
precise: a term's value is `kprules.Value` (not `Any`), `evaluate(..., explain=True)` is an
`ExplainedResult` whose explanation is not optional, `function(..., explain=True)` gives
`Explained`, and a `Library` is a mapping of names to policies."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Appended to the examples: what mypy must infer (notes), and one line it must refuse (a Value
# is not a bool: under `Any` this would pass silently).
PROBES = '''
probe = current.evaluate(alrosa)
reveal_type(probe["import"])
reveal_type(explained)
reveal_type(explained.explanation)
reveal_type(why)
reveal_type(decide)
reveal_type(len(library))
reveal_type(list(library))
flag: bool = probe["import"]
'''


def examples() -> str:
    text = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    return "\n".join(re.findall(r"```python\n(.*?)```", text, re.S))


@pytest.mark.slow
def test_library_examples_pass_mypy_strict(tmp_path: Path) -> None:
    if shutil.which("mypy") is None and not _has_mypy():
        pytest.fail("mypy is missing: pip install '.[dev]'", pytrace=False)
    program = examples()
    assert "explanation.text()" in program
    target = tmp_path / "library_md.py"
    target.write_text(program + PROBES, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", "--cache-dir",
         str(tmp_path / "cache"), "--python-version", "3.11", str(target)],
        capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [line.split(": ", 1)[1] for line in run.stdout.splitlines() if ": " in line]
    probe_line = len(program.splitlines()) + 1
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    # the only error is the probe that must fail
    assert len(errors) == 1, run.stdout + run.stderr
    assert f"library_md.py:{probe_line + 9}:" in errors[0], errors[0]
    assert 'incompatible types in assignment (expression has type "bool | int | str | ' \
        in errors[0].lower()
    notes = [line for line in lines if line.startswith("note: Revealed type")]
    assert len(notes) == 7, run.stdout
    value = ("bool | int | str | decimal.Decimal | datetime.date | frozenset[str] | "
             "kprules.ir.values._Unknown")
    assert notes[0].endswith(f'"{value}"'), notes[0]
    assert notes[1].endswith('"kprules.api.ExplainedResult"'), notes[1]
    assert notes[2].endswith('"kprules.explain.tree.Explanation"'), notes[2]
    assert notes[3].startswith('note: Revealed type is "def (typing.Mapping[str, object]) -> ')
    assert notes[3].endswith('fallback=kprules.eval.evaluate.Explained]"'), notes[3]
    assert notes[4].endswith(f'-> tuple[{value}, ...]"'), notes[4]
    assert notes[5].endswith('"int"') and notes[6].endswith('"list[str]"'), notes[5:]


def _has_mypy() -> bool:
    try:
        import mypy  # noqa: F401
    except ImportError:
        return False
    return True
