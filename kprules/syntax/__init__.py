"""Floor 2, the front end: the grammar, the surface syntax tree, the parser and its syntax hints,
the loader of policy files, seeds (the cited source documents) and the canonical printer.
"""
