"""`kprules lsp`: the language server, over stdio (pygls).

Wiring only: the protocol's requests and notifications go to `Project` (documents, checks) and
`Queries` (answers). Diagnostics are published when a document opens, and after each change
once the drafter pauses for `debounce` seconds, for the document and for every known file that
depends on it (a proposal when its base changes). The command `kprules.evaluateCases` (also
offered as a code lens on the policy's name) runs the policy's cases and shows the result.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from kprules.editor import convert
from kprules.editor.project import Analysis, Project
from kprules.editor.queries import EVALUATE, Queries

if TYPE_CHECKING:
    from kprules.editor.cases import CaseRun

DEBOUNCE = 0.1  # seconds of quiet after a change before checking again


class KprulesServer(LanguageServer):
    """A language server with its own project state (one per process, no globals)."""

    def __init__(self, debounce: float = DEBOUNCE) -> None:
        # Full sync: the editor sends the whole text at each change. Incremental edits are
        # applied by line, and pygls splits lines where Python does (a form feed, U+2028),
        # not only where the editor does: its copy would drift from the editor's, and a
        # formatting edit made from it would garble the file.
        super().__init__("kprules", _version(),
                         text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.project = Project()
        self.debounce = debounce
        self.pending: dict[Path, asyncio.TimerHandle] = {}
        self.lens_titles: dict[str, str] = {}

    @property
    def queries(self) -> Queries:
        return Queries(self.project, str(self.workspace.position_encoding or "utf-16"))

    def path(self, uri: str) -> Path:
        return Path(to_fs_path(uri) or uri).resolve()

    def refresh(self, path: Path) -> None:
        """Check a file and the files that depend on it, and publish their diagnostics."""
        self.pending.pop(path, None)
        try:
            self.publish(self.project.check(path))
            for other in self.project.dependents(path):
                self.publish(self.project.check(other))
        except Exception as err:  # a bug in kprules: say so, and keep serving
            self.window_show_message(lsp.ShowMessageParams(lsp.MessageType.Error, (
                f"kprules: internal error[KP900] checking {path.name}: "
                f"{type(err).__name__}: {err} (this is a bug in kprules)")))

    def publish(self, analysis: Analysis) -> None:
        encoding = str(self.workspace.position_encoding or "utf-16")
        mine = [convert.diagnostic(d, analysis.workspace.sources, encoding)
                for d in analysis.diagnostics
                if d.span is None or d.span.source == analysis.name]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            from_fs_path(str(analysis.path)) or "", mine))

    def later(self, path: Path) -> None:
        """Check `path` once no change has come for `debounce` seconds."""
        old = self.pending.pop(path, None)
        if old is not None:
            old.cancel()
        self.pending[path] = asyncio.get_running_loop().call_later(self.debounce,
                                                                   self.refresh, path)

    def evaluate(self, uri: str) -> CaseRun:
        from kprules.editor.cases import CaseRun, run_cases  # loaded when first asked

        path = self.path(uri)
        if path.suffix != ".kpr" or not path.is_file():
            return CaseRun(path.stem, (), f"`{uri}` is not a saved policy file (.kpr): "
                           "evaluate the cases of a policy from its document")
        module = self.project.parsed(path).module
        name = module.name if module is not None else path.stem
        run = run_cases(self.project.current(path), name)
        self.lens_titles[name] = run.summary()
        failed = [o for o in run.outcomes if not o.passed]
        kind = lsp.MessageType.Info if run.problem is None and not failed else \
            lsp.MessageType.Warning
        self.window_show_message(lsp.ShowMessageParams(kind, run.summary()))
        if _lens_refresh(self):
            self.workspace_code_lens_refresh(None)
        for o in failed:
            self.window_log_message(lsp.LogMessageParams(lsp.MessageType.Warning, (
                f"FAIL {o.case} {name}.{o.term}: expected {o.expected}, got {o.got} "
                f"({o.file}:{o.line})" + (f" {o.error}" if o.error else ""))))
        return run


def _lens_refresh(server: KprulesServer) -> bool:
    """Whether the client asks to be told when code lenses change."""
    workspace = server.client_capabilities.workspace
    lens = workspace.code_lens if workspace is not None else None
    return bool(lens is not None and lens.refresh_support)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kprules")
    except PackageNotFoundError:
        return "0"


def build(debounce: float = DEBOUNCE) -> KprulesServer:
    """A server with every feature registered."""
    server = KprulesServer(debounce)
    _documents(server)
    _answers(server)
    return server


def _documents(server: KprulesServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KprulesServer, params: lsp.DidOpenTextDocumentParams) -> None:
        path = ls.path(params.text_document.uri)
        ls.project.open(path, params.text_document.text)
        ls.refresh(path)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KprulesServer, params: lsp.DidChangeTextDocumentParams) -> None:
        path = ls.path(params.text_document.uri)
        ls.project.change(path, ls.workspace.get_text_document(params.text_document.uri).source)
        ls.later(path)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KprulesServer, params: lsp.DidSaveTextDocumentParams) -> None:
        path = ls.path(params.text_document.uri)
        ls.project.forget(path)
        ls.refresh(path)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KprulesServer, params: lsp.DidCloseTextDocumentParams) -> None:
        path = ls.path(params.text_document.uri)
        pending = ls.pending.pop(path, None)  # a check still waiting would publish again
        if pending is not None:
            pending.cancel()
        ls.project.close(path)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            params.text_document.uri, []))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: KprulesServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            ls.project.forget(ls.path(change.uri))


def _answers(server: KprulesServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: KprulesServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return ls.queries.hover(ls.path(params.text_document.uri), params.position)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: KprulesServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        return ls.queries.definition(ls.path(params.text_document.uri), params.position)

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: KprulesServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        return ls.queries.references(ls.path(params.text_document.uri), params.position,
                                     params.context.include_declaration)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[".", " ", "{"]))
    def completion(ls: KprulesServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        return ls.queries.completion(ls.path(params.text_document.uri), params.position)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def code_action(ls: KprulesServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        return ls.queries.code_actions(ls.path(params.text_document.uri), params.range)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: KprulesServer,
                   params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        return ls.queries.formatting(ls.path(params.text_document.uri))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_LENS)
    def code_lens(ls: KprulesServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
        return ls.queries.code_lenses(ls.path(params.text_document.uri), ls.lens_titles)

    @server.command(EVALUATE)
    def evaluate(ls: KprulesServer, *args: Any) -> dict[str, Any]:
        if len(args) != 1 or not isinstance(args[0], str):
            given = f"{len(args)} arguments" if len(args) != 1 else type(args[0]).__name__
            raise JsonRpcInvalidParams(f"{EVALUATE} takes one argument, the URI of a policy "
                                       f"document as text; it was given {given}")
        return attrs.asdict(ls.evaluate(args[0]))
