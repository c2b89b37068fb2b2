"""A UTF-8 source with a byte-order mark; tabs for indentation."""
if True:
	value = "bom ✓"
	print(value)
import sys
print(open(__file__, "rb").read(3), sys._getframe().f_lineno)
raise ValueError("uncaught after BOM")
