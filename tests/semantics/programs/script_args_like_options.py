# args: --trace other.json --hits 5 -h --help -- run
"""Everything after SCRIPT belongs to the script, even things that look like tracekit options."""
import sys

print(sys.argv[1:])
print(len(sys.argv))
