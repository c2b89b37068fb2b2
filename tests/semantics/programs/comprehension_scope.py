"""Comprehension scoping: own scope, no leaks, class-body visibility, nested loops."""
x = "module x"
squares = [x * x for x in range(4)]
print(squares, x)
print({x for x in "aab"} == {"a", "b"}, x)
print({k: v for k, v in zip("ab", range(2))})
matrix = [[r * 3 + c for c in range(3)] for r in range(3)]
print(matrix, [row[i] for i, row in enumerate(matrix)])
flat = [v for row in matrix for v in row if v % 2 == 0]
print(flat)


class K:
    base = 10
    first_iter_sees_class = [b for b in range(base)]
    try:
        body_sees_class = [base + i for i in range(2)]
    except NameError as exc:
        error = str(exc)


print(len(K.first_iter_sees_class), K.error)


def f():
    y = 5
    return [y + i for i in range(3)], [(lambda: i)() for i in range(2)]


print(f())
print([i for i in range(5)][-1:], "i" in globals())
gen_iter = [[j for j in range(i)] for i in range(4)]
print(gen_iter)
print(locals().get("j", "no j leaked"))
print([(a, b) for a in range(3) if a for b in range(a) if b != 1])
