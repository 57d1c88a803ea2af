"""Models arrive with the handover capability."""
