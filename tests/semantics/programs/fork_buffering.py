"""os.fork duplicates unflushed stdout buffers, exactly as under plain python."""
import os
import sys

print("buffered before fork")
pid = os.fork()
if pid == 0:
    print("in child")
    sys.exit(3)  # flushes the child's copy of the buffer
_, status = os.waitpid(pid, 0)
print("child exit code", os.waitstatus_to_exitcode(status))
