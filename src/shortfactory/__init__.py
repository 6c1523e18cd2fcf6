"""shortfactory: turn long horizontal episodes into vertical Shorts, one artifact at a time."""

__version__ = "0.1.0"
