# nbgrader configuration of the dlkit course. nbgrader reads it from the
# working directory: run `nbgrader ...` inside this folder.
import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "dlkit"
# Anchored to this file rather than the working directory, so a Jupyter
# config elsewhere can `load_subconfig("<course>/nbgrader_config.py")` (e.g.
# for the formgrader) and still find source/, the gradebook and submissions.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# Grading runs pytest and hypothesis in the kernel; their caches must never be
# copied into what students receive (release/, feedback/).
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    ".hypothesis",
    ".pytest_cache",
]

# An autograder cell runs its item's whole grader suite (hypothesis examples,
# a tiny GAN trained for the loss items): about 5 s on a busy 2-core machine,
# so nbgrader's 30 s default leaves too little room for slow student code or
# an old laptop. A submission that hangs still loses only the cell that hangs.
c.Execute.timeout = 120
# The kernel name stored in the source notebook wins over the student's; this
# is the one ipykernel installs in every environment that can run dlkit.
c.Execute.kernel_name = "python3"

# The autograder cells decide the points themselves (partial credit from the
# cell's last value); nbgrader's default stub for solution cells is kept.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# An instructor's terminal shows nbgrader's own messages only. SQLAlchemy
# warns about how nbgrader's gradebook code uses its sessions (nothing an
# instructor can act on), and the grading kernel logs a notice that it talks
# to nbgrader over TCP on this machine.
import warnings  # noqa: E402

try:
    from sqlalchemy.exc import SAWarning
except ImportError:  # nbgrader without SQLAlchemy cannot happen; a config file must not fail
    pass
else:
    warnings.filterwarnings("ignore", category=SAWarning, module="nbgrader")
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
