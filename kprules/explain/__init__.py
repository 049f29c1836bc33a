"""Floor 4, explanations: the tree of why each term has its value (`tree`, data in `nodes`),
its rendering as text or JSON, and where two versions part (`why`).
"""
