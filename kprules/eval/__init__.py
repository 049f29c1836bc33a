"""Floor 5, evaluation: the code generator, the `Evaluator` facade, the `Loaded` protocol the
stages above take, and the reference interpreter (`interpret`, the tests' oracle, which
production code never imports).
"""
