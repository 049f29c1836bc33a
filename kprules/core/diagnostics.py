"""The one diagnostic type, and the catalogue of stable codes.

Every problem kprules reports, in a policy, a case file, a data file or at run time, is a
`Diagnostic`: a stable code, a severity, a message, the span it is about, an optional hint
(the fix), and related spans. Stages return diagnostics; they raise `PolicyError` only at a stage
boundary, carrying every diagnostic of that stage at once.

Codes are grouped by stage: KP1xx reading and syntax, KP2xx names and structure, KP3xx types,
KP4xx case and data files, KP5xx evaluation, KP6xx comparisons and reports, KP9xx internal errors.
A code is never reused for another meaning. `docs/diagnostics.md` lists each with an example.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from attrs import field, frozen

from kprules.core.escape import printable
from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Span


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@frozen(repr=False)
class Related(SharedRepr):
    """A second place that explains a diagnostic ("first defined here")."""

    span: Span
    message: str


def _printable_or_none(text: str | None) -> str | None:
    return None if text is None else printable(text)


@frozen(repr=False)
class Diagnostic(SharedRepr):
    """A located problem. `message` is lower-case without a final period; names in backticks.
    The message and the hint are one line of printable text: a name or a value quoted from a
    file (a case id, a CSV header cell) has its control characters written as escapes
    (`core.escape.printable`), in every format alike."""

    code: str
    message: str = field(converter=printable)
    span: Span | None
    severity: Severity = Severity.ERROR
    hint: str | None = field(default=None, converter=_printable_or_none)
    related: tuple[Related, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, str]:
        if self.span is None:
            return ("", -1, self.code)
        return (self.span.source, self.span.start, self.code)


class PolicyError(Exception):
    """Raised at a stage boundary; carries all the diagnostics of that stage."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        first = self.diagnostics[0].message if self.diagnostics else "no diagnostics"
        super().__init__(f"{len(self.diagnostics)} problem(s); first: {first}")


def errors_in(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=Diagnostic.sort_key))


# The catalogue: code -> one-line description. A test checks that every code used in the
# package is listed here and in docs/diagnostics.md, and that each has a golden test.
CODES: dict[str, str] = {
    # KP1xx: reading files and syntax
    "KP100": "a file or folder cannot be read",
    "KP101": "a file is not valid UTF-8",
    "KP102": "a file is too large",
    "KP103": "a file contains a NUL byte or another control character",
    "KP104": "a folder holds no kprules files",
    "KP105": "a project file (`kprules.toml`) that cannot be read or is malformed",
    "KP110": "a character that cannot start any token",
    "KP111": "a token in a place the grammar does not allow",
    "KP112": "the text ends before the construct is complete",
    "KP113": "a string is not closed",
    "KP114": "a date literal is not a real date",
    "KP115": "an unknown escape sequence in a string",
    "KP116": "an expression, or a chain of definitions, is nested too deeply",
    "KP117": "a bidirectional control or line-breaking character in a comment or string",
    "KP190": "a set literal with more elements than the limit",
    "KP191": "more policy files in one run than the limit",
    # KP2xx: names, modules and structure
    "KP200": "a name that is not defined",
    "KP201": "a name defined twice",
    "KP202": "a vocabulary that cannot be found",
    "KP203": "a base policy that cannot be found",
    "KP204": "a policy that amends itself, directly or through others",
    "KP205": "definitions that depend on each other in a cycle",
    "KP206": "`redefine` of a term the base policy does not have",
    "KP207": "`define` of a term the base policy already has",
    "KP208": "`base.` outside an amending policy, or of a term the base lacks",
    "KP209": "a keyword or a reserved word used as a name",
    "KP210": "two files declare the same module name",
    "KP211": "a definition, rule or parameter without a citation",
    "KP212": "a citation of a source that is not in the seeds folder",
    "KP213": "a quotation that is not found in its source document",
    "KP214": "an unknown policy status",
    "KP215": "a fact no policy reads",
    "KP216": "a definition nothing uses",
    "KP217": "a rule or exception that can never apply",
    "KP218": "overlapping date intervals",
    "KP219": "an empty date interval",
    "KP220": "a policy that reads no vocabulary",
    "KP221": "a policy that reads another vocabulary than its base",
    "KP222": "a citation without a quotation",
    "KP223": "the same citation repeated",
    "KP290": "a parameter with more dated pieces than the limit",
    "KP291": "a decision with more rules and exceptions than the limit",
    "KP292": "a chain of amendments longer than the limit",
    "KP293": "more clauses in the policies of one run than the limit",
    # KP3xx: types
    "KP300": "an expression of the wrong type",
    "KP301": "a boolean operator applied to a non-boolean",
    "KP302": "a comparison of values of different types",
    "KP303": "quantities of different units mixed",
    "KP304": "an enum value that its enum does not have",
    "KP305": "a country code that is not ISO 3166-1 alpha-2",
    "KP306": "an unknown type",
    "KP307": "`redefine` that changes the type of a term",
    "KP308": "a decision outcome outside the decision's type",
    "KP309": "a parameter value that is not a constant",
    "KP310": "arithmetic on values that are not numbers of compatible units",
    "KP311": "an ordering comparison of values that have no order",
    "KP312": "the branches of `if` have different types",
    "KP313": "membership in something that is not a set or range of that type",
    "KP314": "a definition whose body does not have its declared type",
    "KP315": "an enum value name that is ambiguous",
    "KP390": "arithmetic whose result may have more digits than the limit",
    # KP4xx: case and data files
    "KP400": "a folder holds no case files",
    "KP401": "a case file that is not valid TOML",
    "KP402": "an unknown table or key in a case file",
    "KP403": "a table or key a case file must have is missing",
    "KP404": "a key of a case file, or a record's `id`, whose value has the wrong type",
    "KP405": "a case id that is not kebab-case",
    "KP406": "a case id used twice",
    "KP407": "a fact the vocabulary does not declare, in a case or data file",
    "KP408": "a fact value that does not fit the fact's type",
    "KP409": "a fact value that is not a value of its enum",
    "KP410": "a fact value that is not an ISO 3166-1 alpha-2 country code",
    "KP411": "an expectation naming a policy that is not loaded",
    "KP412": "an expectation naming a term its policy does not have",
    "KP413": "an expected value that does not fit the term's type",
    "KP414": "facts or policies of several vocabularies where one is needed",
    "KP415": "an expectation that does not name `policy.term`, or one given twice",
    "KP420": "a file that is neither a case file nor a data file",
    "KP421": "a data record that is not a valid JSON object or CSV row",
    "KP422": "a CSV header that is missing, or has a column without a name or twice",
    "KP423": "a CSV row whose number of cells differs from the header's",
    "KP424": "a Parquet file to read, and pyarrow is not installed",
    "KP425": "too many invalid records: reading stopped",
    "KP490": "a number in a case or data file with more digits than the limit",
    "KP491": "a line of a data file longer than the limit: reading stopped",
    # KP5xx: evaluation
    "KP500": "a division by zero while evaluating",
    # KP6xx: comparisons, tests and reports
    "KP600": "policies to compare that read different vocabularies",
    "KP601": "a term to compare that a policy does not have",
    "KP602": "a policy name that no policy file given or found declares",
    "KP603": "no cases to compare or test",
    "KP604": "a report file that cannot be written",
    "KP605": "policies to compare that have no term in common",
    "KP606": "a policy argument that does not stand for the policies it must",
    "KP607": "clause coverage below the minimum asked for",
    "KP608": "a cut-off date or threshold that no case exercises from both sides",
    # KP9xx: internal errors
    "KP900": "an internal error: a bug in kprules",
}


def describe(code: str) -> str:
    """The catalogue description of a code (a bug if it is missing)."""
    return CODES[code]
