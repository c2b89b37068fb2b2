"""Shared pytest configuration (kept minimal)."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a case taking more than a few seconds")
