# stdin: alpha beta
# stdin: gamma
"""sys.stdin.read / readline / iteration from piped data."""
import sys

first = sys.stdin.readline()
rest = [line.rstrip("\n") for line in sys.stdin]
print(repr(first), rest)
print(repr(sys.stdin.readline()), sys.stdin.encoding, sys.stdin.closed)
