"""sys.exit with a string: printed to stderr, exit status 1."""
import sys

print("working")
sys.stdout.flush()
sys.exit("fatal: something went wrong ✗")
