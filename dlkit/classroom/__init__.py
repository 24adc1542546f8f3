"""Class grading: every student's submission graded, and the class report made from the records."""
