"""sys.exit(None) and SystemExit caught then re-raised with code 0."""
import sys

try:
    sys.exit(5)
except SystemExit as e:
    print("caught code", e.code)
print("continuing")
raise SystemExit(None)
