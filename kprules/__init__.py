"""kprules: rules as code for the Kimberley Process.

The public API is filled in as the stages land; see docs/library.md.
"""

__all__: list[str] = []
