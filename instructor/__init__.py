"""Instructor-only graders: the checks that need an oracle.

Never part of the student release (``dlkit release`` ships assignments/,
graders/ and dlkit/ only) and never visible inside a submission's sandbox.
These tests run in the judge only, with their own grading seed, when an
instructor grades (``dlkit check --hidden``); the JSON marks them
``"visibility": "hidden"``. Their oracles (reference formulas, correct
stand-ins, replays of training steps) live beside them in ``*_oracle.py``.
"""

GRADING_SEED = 20260917
"""Seeds hypothesis and torch for every hidden test, distinct from the
public layer's (hypothesis derandomised per test, torch seed 0), so public
examples say nothing about the hidden ones."""
