"""monitor: watches the Tweede Kamer and the vakpers for municipal PA teams and tells them when to act."""

__version__ = "0.1.0"
