"""dlkit: the machinery behind the assignments (build, grading, data, plots, CLI)."""

__version__ = "0.1.0"
