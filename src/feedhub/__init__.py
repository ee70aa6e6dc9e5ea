"""feedhub: poll a tree of feeds, deduplicate into SQLite, republish merged feeds for every node."""

__version__ = "0.1.0"
