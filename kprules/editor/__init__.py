"""The drafter's editor: a language server (`kprules lsp`) and a Pygments lexer for `.kpr` files.

Neither is imported by the rest of kprules. `kprules.editor.pygments_lexer` imports Pygments and
is loaded only by Pygments itself (through the `pygments.lexers` entry point) or by a caller that
asks for it; the language server's modules import pygls and lsprotocol (`pip install
'kprules[lsp]'`).
"""
