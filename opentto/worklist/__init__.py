"""My work: one page per user listing what waits for them across the platform (``sources.py``)."""
