"""Shared pytest configuration: markers, and in CI a missing dependency fails instead of skipping."""

from __future__ import annotations

import inspect
import os
import re

import pytest

# Skip reasons that mean "this machine lacks something the suite needs", not "this case does not
# apply here" (no CUDA, not Linux, not root): under TRACEKIT_REQUIRE_ALL=1 they are failures.
MISSING = re.compile(
    r"could not import|No module named|is not installed|not installed \(|not in .*/test\b|test package is not installed",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a case taking more than a few seconds")
    config.addinivalue_line("markers", "torch: runs an example that imports torch")


def require_all() -> bool:
    """Whether a missing browser, torch or CPython test source must fail the run (CI sets it)."""
    return os.environ.get("TRACEKIT_REQUIRE_ALL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and require_all()) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if MISSING.search(reason):
        report.outcome = "failed"
        report.longrepr = f"skipped for a missing dependency, which TRACEKIT_REQUIRE_ALL=1 forbids: {reason}"


def _uses_torch(func: object, module: object, seen: set[int]) -> bool:
    """Whether a test or fixture function's own code, or a module-level string it reads, mentions torch."""
    code = getattr(func, "__code__", None)
    if code is None or id(code) in seen:
        return False
    seen.add(id(code))
    try:
        source = inspect.getsource(func)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    if "torch" in source or '"examples" /' in source:
        return True
    names = set(code.co_names) | {n for c in code.co_consts if inspect.iscode(c) for n in c.co_names}
    return any(isinstance(v := getattr(module, n, None), str) and "torch" in v for n in names)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `torch` every test that runs torch code or the project's examples (left out by `make test-fast`)."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        seen: set[int] = set()
        funcs = [item.function]
        for defs in item._fixtureinfo.name2fixturedefs.values():
            funcs.extend(d.func for d in defs)
        if any(_uses_torch(f, item.module, seen) for f in funcs):
            item.add_marker(pytest.mark.torch)
