"""Azure adapters: the only code that imports ``azure.*``; SDK types never leave this package."""
