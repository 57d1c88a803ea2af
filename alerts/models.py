"""Models arrive with the alerts capability."""
