"""Floor 3: from parsed modules to checked policies (`kprules.ir`), in ordered passes.
"""
