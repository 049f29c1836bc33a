"""Floor 6, inputs: case files (TOML, every key located) and bulk data (JSON Lines, CSV,
Parquet) read as streams of validated fact sets.
"""
