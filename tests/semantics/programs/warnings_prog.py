"""warnings: messages on stderr show the script's source line; once-per-location registry."""
import warnings


def old_api():
    warnings.warn("old_api is deprecated", DeprecationWarning, stacklevel=2)
    return 1


warnings.simplefilter("default")
warnings.warn("plain user warning")
for _ in range(3):
    old_api()
old_api()
warnings.warn_explicit("explicit", UserWarning, "somefile.py", 12)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    old_api()
    warnings.warn("recorded", RuntimeWarning)
print([(w.category.__name__, str(w.message), w.lineno) for w in caught])
print(sorted(k for k in globals() if "warning" in k.lower()))
warnings.simplefilter("error")
try:
    warnings.warn("now an error")
except UserWarning as exc:
    print("raised:", exc)
