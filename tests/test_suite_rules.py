"""The test suite's own rules: under TRACEKIT_REQUIRE_ALL=1 a missing dependency fails, and the fast subset leaves torch out."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CASES = """
from pathlib import Path

import pytest

TORCH_SCRIPT = "import torch\\nx = torch.ones(2)\\n"


def test_missing_module():
    pytest.importorskip("no_such_module_anywhere")


def test_not_here():
    pytest.skip("no CUDA device on this machine")


def test_runs_torch():
    assert TORCH_SCRIPT


def test_plain():
    assert 1 + 1 == 2
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(Path(__file__).with_name("conftest.py").read_text())
    pytester.makepyfile(test_cases=CASES)
    return pytester


def test_a_missing_dependency_fails_when_everything_is_required(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACEKIT_REQUIRE_ALL", "1")
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["FAILED test_cases.py::test_missing_module*"])


def test_a_missing_dependency_skips_on_a_developer_machine(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACEKIT_REQUIRE_ALL", raising=False)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2, skipped=2)


def test_the_fast_subset_leaves_out_tests_that_run_torch(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-p", "no:cacheprovider", "-m", "not torch", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["test_cases.py::test_plain"])
    assert "test_runs_torch" not in result.stdout.str()
    assert "test_missing_module" in result.stdout.str()
