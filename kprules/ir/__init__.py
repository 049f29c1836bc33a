"""Floor 1, the checked representation every back end reads: typed expressions and terms
(`kprules.ir`), types, dates and in-force intervals, run-time values, the evaluators' shared
marker and error, and slots (one number per clause). Imports only `kprules.core`.
"""
