# stdin: first line
# stdin: second line with ünïcode
# stdin:
# stdin: 42
# stdin-tail: last line without newline
"""input() until EOF, with prompts; reading numbers; sys.stdin state afterwards."""
import sys

lines = []
while True:
    try:
        line = input(f"prompt {len(lines)}> ")
    except EOFError:
        print("<EOF>")
        break
    lines.append(line)
print(lines)
print(int(lines[3]) * 2)
print(repr(sys.stdin.read()), sys.stdin.isatty())
