"""f-strings (= debug specifier, nested specs, conversions), format(), %-formatting."""
import datetime

x = 3.14159
name = "tracekit"
items = [1, 2]
width = 10
print(f"{x=}", f"{x = :.2f}", f"{name!r:>12}", f"{items=}", f"{x*2=:.1f}")
print(f"{name:{'*'}^{width}}", f"{{literal}}", f"{'nested ' + f'{x:.0f}'}")
print("%s is %5.2f and %r" % (name, x, name), "%(a)s-%(b)d" % {"a": "A", "b": 2})
print("{0}{1}{0}".format("ab", "cd"), "{:,}".format(1234567), format(255, "#x"))
print(f"{datetime.date(2024, 1, 2):%Y/%m/%d}", f"{3 + 4j!s}", f"{b'bytes'!a}")
print(f"""multi
line {name.upper()
}""")
obj = object()
print(f"{1_000_000:_}", f"{0.000123:e}", f"{-5:+05d}", f"{True!r}")
print(f"{'a' if x > 3 else 'b'}", f"{(lambda: 'lam')()}", f"{x:{width}.{2}}")
