# known-difference: a warning that a repr recording calls raises in another module (ignored while recording) still makes or resets that module's __warningregistry__
"""Another module's __warningregistry__ is only made by warnings the program raises."""
import _warning_helper

old = _warning_helper.Old()
print(hasattr(_warning_helper, "__warningregistry__"))
