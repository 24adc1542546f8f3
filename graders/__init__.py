"""Graders: one pytest module per assignment module.

Importing the package loads the grading hypothesis profile (see strategies),
except in a sandboxed worker, which imports only the graders' probes
(``*_probes.py``: grader code that runs next to the submission).
"""
import os

if not os.environ.get("DLKIT_WORKER"):
    from graders import strategies as _strategies  # noqa: F401
