"""A child process writing straight to the inherited stdout/stderr, vs buffered output."""
import subprocess
import sys

print("parent: buffered before child")
print("parent: stderr before child", file=sys.stderr)
subprocess.run([sys.executable, "-c", "import sys; print('child stdout'); "
                "print('child stderr', file=sys.stderr)"], check=True)
print("parent: after child")
out = subprocess.run([sys.executable, "-c", "import sys; print(sys.argv)", "x"],
                     capture_output=True, text=True).stdout
print("captured:", out.strip())
rc = subprocess.call([sys.executable, "-c", "raise SystemExit(4)"])
print("child status", rc)
