"""Format overrides per locale (``FORMAT_MODULE_PATH``); Django's own formats fill in the rest."""
