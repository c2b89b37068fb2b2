"""Printing to stderr and stdout separately, print() options, partial lines."""
import sys

print("to stdout", "with", "sep", sep="|", end="!\n")
print("to stderr", file=sys.stderr)
print("no newline", end="")
print(file=sys.stderr, end="")
sys.stderr.write("raw stderr\n")
print(*range(5), sep=", ")
print()
print("tab\tand\\backslash", repr("quote'\""))
sys.stdout.write("trailing without newline")
