"""Graders: one pytest module per assignment module.

Importing the package loads the grading hypothesis profile (see strategies).
"""
from graders import strategies as _strategies  # noqa: F401
