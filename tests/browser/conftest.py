"""Browser tests run on a 2-core machine that may be busy: give page assertions room."""

from playwright.sync_api import expect

# The first English query builds the translation lexicon (seconds on a busy machine).
expect.set_options(timeout=30_000)
