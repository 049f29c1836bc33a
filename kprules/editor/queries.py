"""The language server's answers, as lsprotocol objects: hover, definition, references,
completion, quick fixes, formatting and code lenses, for a file of a `Project`."""

from __future__ import annotations

from pathlib import Path

from attrs import frozen
from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from kprules.core.shared_repr import SharedRepr
from kprules.core.source import Source, Span
from kprules.editor import convert, places
from kprules.editor.complete import Item, complete, enclosing_decision
from kprules.editor.edits import canonical, quick_fixes
from kprules.editor.hover import hover_text
from kprules.editor.index import Occurrence, Resolver, Symbol, at, occurrences
from kprules.editor.project import Analysis, Project, module_map
from kprules.syntax import nodes as n

EVALUATE = "kprules.evaluateCases"
_KINDS = {"keyword": lsp.CompletionItemKind.Keyword, "policy": lsp.CompletionItemKind.Module,
          "vocabulary": lsp.CompletionItemKind.Module, "source": lsp.CompletionItemKind.Reference,
          "term": lsp.CompletionItemKind.Function, "fact": lsp.CompletionItemKind.Field,
          "value": lsp.CompletionItemKind.EnumMember, "status": lsp.CompletionItemKind.Constant}


@frozen(repr=False)
class Found(SharedRepr):
    """The name under the cursor, what it means, and the resolver that said so."""

    occurrence: Occurrence
    symbol: Symbol
    resolver: Resolver
    analysis: Analysis


@frozen(repr=False)
class Queries(SharedRepr):
    project: Project
    encoding: str = "utf-16"

    # ---------------------------------------------------------------- shared

    def source_of(self, span: Span) -> Source | None:
        return self.project.parsed(places.file_of(span)).source

    def range_of(self, span: Span) -> lsp.Range:
        return convert.lsp_range(self.source_of(span), span, self.encoding)

    def find(self, path: Path, pos: lsp.Position) -> Found | None:
        parsed = self.project.parsed(path)
        if parsed.module is None or parsed.text is None:
            return None
        occ = at(parsed.module, places.offset(parsed.text, convert.position(pos), self.encoding))
        if occ is None:
            return None
        analysis = self.project.current(path)
        resolver = Resolver(module_map(self.project, analysis))
        symbol = resolver.resolve(occ)
        return Found(occ, symbol, resolver, analysis) if symbol is not None else None

    # ---------------------------------------------------------------- features

    def hover(self, path: Path, pos: lsp.Position) -> lsp.Hover | None:
        found = self.find(path, pos)
        if found is None:
            return None
        occ = found.occurrence
        # On a declaration, the term declared there (a `redefine` means the base's elsewhere).
        symbol = Symbol("term", occ.module, occ.ident.name) if occ.role == "term-decl" \
            else found.symbol
        text = hover_text(symbol, found.resolver, self.project.typed(path),
                          self.project.seeds(path), self.source_of)
        if text is None:
            return None
        return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text),
                         self.range_of(found.occurrence.ident.span))

    def definition(self, path: Path, pos: lsp.Position) -> list[lsp.Location]:
        found = self.find(path, pos)
        if found is None:
            return []
        if found.symbol.kind == "source":
            seed = self.project.seeds(path).get(found.symbol.name)
            if seed is None or seed.path is None or not seed.path.is_file():
                return []
            start = lsp.Position(0, 0)
            return [lsp.Location(from_fs_path(str(seed.path)) or "", lsp.Range(start, start))]
        ident = found.resolver.declaration(found.symbol)
        if ident is None:
            return []
        return [lsp.Location(convert.uri(ident.span), self.range_of(ident.span))]

    def references(self, path: Path, pos: lsp.Position,
                   declaration: bool) -> list[lsp.Location]:
        found = self.find(path, pos)
        if found is None:
            return []
        declared = found.resolver.declaration(found.symbol)
        out: list[lsp.Location] = []
        for module in found.resolver.modules.values():
            for occ in occurrences(module):
                if occ.ident.name != found.symbol.name or (
                        not declaration and declared is not None
                        and occ.ident.span == declared.span):
                    continue
                if found.resolver.resolve(occ) == found.symbol:
                    out.append(lsp.Location(convert.uri(occ.ident.span),
                                            self.range_of(occ.ident.span)))
        return sorted(out, key=lambda loc: (loc.uri, loc.range.start.line,
                                            loc.range.start.character))

    def completion(self, path: Path, pos: lsp.Position) -> lsp.CompletionList:
        parsed = self.project.parsed(path)
        text = parsed.text or ""
        at = places.offset(text, convert.position(pos), self.encoding)
        before = text[max(0, at - 400) : at]
        module = self.project.last_module(path)
        resolver = Resolver(module_map(self.project, self.project.analyses.get(path)))
        items = complete(before, module.name if module else None, resolver,
                         self.project.typed(path), self.project.seeds(path),
                         enclosing_decision(text[:at]))
        return lsp.CompletionList(False, [self._item(i) for i in items])

    def _item(self, item: Item) -> lsp.CompletionItem:
        doc = lsp.MarkupContent(lsp.MarkupKind.Markdown, item.documentation) \
            if item.documentation else None
        return lsp.CompletionItem(item.label, kind=_KINDS[item.kind], detail=item.detail,
                                  documentation=doc)

    def code_actions(self, path: Path, wanted: lsp.Range) -> list[lsp.CodeAction]:
        analysis = self.project.current(path)
        source = analysis.workspace.sources.get(analysis.name)
        if source is None:
            return []
        out: list[lsp.CodeAction] = []
        for d in analysis.diagnostics:
            for fix in quick_fixes(d, source):
                r = convert.lsp_range(source, fix.span, self.encoding)
                if not _overlaps(r, wanted):
                    continue
                edit = lsp.WorkspaceEdit(changes={convert.uri(fix.span): [lsp.TextEdit(r,
                                                                                        fix.text)]})
                out.append(lsp.CodeAction(
                    fix.title, kind=lsp.CodeActionKind.QuickFix, edit=edit,
                    diagnostics=[convert.diagnostic(d, analysis.workspace.sources,
                                                    self.encoding)],
                    is_preferred=not out))
        return out

    def formatting(self, path: Path) -> list[lsp.TextEdit]:
        parsed = self.project.parsed(path)
        if parsed.source is None or parsed.text is None:
            return []
        text = canonical(parsed.source)
        if text is None or text == parsed.text:
            return []
        end = places.position(parsed.source, len(parsed.text), self.encoding)
        whole = lsp.Range(lsp.Position(0, 0), lsp.Position(end.line, end.character))
        return [lsp.TextEdit(whole, text)]

    def code_lenses(self, path: Path, titles: dict[str, str]) -> list[lsp.CodeLens]:
        module = self.project.parsed(path).module
        if not isinstance(module, n.PolicyModule):
            return []
        title = titles.get(module.name, f"Evaluate the cases of {module.name}")
        uri = from_fs_path(str(path)) or ""
        return [lsp.CodeLens(self.range_of(module.ident.span),
                             lsp.Command(title, EVALUATE, arguments=[uri]))]


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)
