# expect-no-lines: yes
"""This script does not compile: python reports the SyntaxError with exit status 1."""
print("never runs")


def broken(:
    pass
