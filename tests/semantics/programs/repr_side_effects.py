# known-difference: values are recorded by their repr, so a script that counts its __repr__ calls sees them
"""Values whose repr has visible side effects: running the script must not call repr."""
repr_calls = 0


class Noisy:
    def __init__(self, n):
        self.n = n

    def __repr__(self):
        global repr_calls
        repr_calls += 1
        return f"Noisy({self.n})"


a = Noisy(1)
b = [a, Noisy(2)]
c = b[0]
d = {"k": c}
for item in b:
    e = item
print("repr calls without printing:", repr_calls)
print(b)
print("repr calls after printing a list of two:", repr_calls)
