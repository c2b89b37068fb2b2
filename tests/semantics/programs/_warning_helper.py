"""A class defined outside the script whose repr warns (for warnings_module_registry)."""
import warnings


class Old:
    def __repr__(self):
        warnings.warn("Old's repr is deprecated", DeprecationWarning, stacklevel=1)
        return "Old()"
