"""Lessons: ordered steps of configurations, each with a narrative and a question the engine
answers at run time. Pure model and runner here; files.py reads and writes the TOML."""
