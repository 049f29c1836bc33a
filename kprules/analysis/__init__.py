"""Floor 7, what can be learnt from policies and cases beyond one evaluation: running case
expectations (`testing`), clause coverage and boundary coverage.
"""
