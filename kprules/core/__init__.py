"""Floor 0, shared by every stage: source texts and spans, diagnostics and their rendering,
did-you-mean suggestions, country codes, the operator table, common wording, and the one safe
file reader and atomic writer. Imports nothing else of kprules.
"""
