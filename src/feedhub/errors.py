"""One error hierarchy, so callers catch exactly what they mean and users read one clear line."""


class FeedhubError(Exception):
    """Root of every error feedhub raises on purpose."""


class ConfigError(FeedhubError):
    """The configuration file is missing, unreadable or invalid.

    The message is a single line naming the file, the line and the key.
    """


class UnknownPathError(FeedhubError):
    """A node path given on the command line names nothing in the source tree."""


class ParseError(FeedhubError):
    """A fetched body is not a feed feedhub can read."""


class StoreError(FeedhubError):
    """The database cannot be opened or is held by another process."""
