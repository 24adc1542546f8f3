"""Hidden graders for HW7-Q6, the Optuna CNN search (module hw7/optuna_search).

The checks that need the reference: build_model's size on generated
configurations and input shapes, against optuna_search_oracle. They run the public
graders' worker procedures (optuna_search_probes) and judge the evidence here.
"""
from __future__ import annotations

from hypothesis import given, settings

from dlkit.grading.checks import graded
from graders.hw7 import optuna_search_support as support
from graders.hw7.optuna_search_support import model_cases
from instructor.hw7 import optuna_search_oracle as oracle

MODULE = "hw7/optuna_search"
FEW = settings(max_examples=10)


@graded("build_model", points=1)
@FEW
@given(model_cases())
def test_model_size_matches_config(impl, case):
    fields, in_shape, n_classes = case
    support.check_model_size(impl, fields, in_shape, n_classes,
                             lambda fields: oracle.expected_parameters(fields, in_shape, n_classes))
