# args: alpha "b c" --flag -x=1 ''  ünï
"""sys.argv (with odd arguments), sys.path[0], __file__ and the current directory."""
import os
import sys

print(sys.argv)
print(os.path.isabs(__file__), os.path.basename(__file__))
print(sys.path[0] == os.path.dirname(os.path.abspath(__file__)))
print(os.path.relpath(__file__, os.getcwd()))
print(os.path.relpath(sys.path[0], os.getcwd()))
print(sys.argv[0] == os.path.relpath(__file__, os.getcwd()))
print(sys.executable == os.path.realpath(sys.executable) or os.path.exists(sys.executable))
