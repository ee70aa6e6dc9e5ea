"""Everything written for readers, derived from the store and rebuildable at any time."""
