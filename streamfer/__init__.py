"""streamfer: a real-time facial-emotion monitor for ordinary CPUs."""

__version__ = "0.1.0"
