"""The package version, kept apart so the runtime can read it without importing anything else."""

__version__ = "0.1.0"
