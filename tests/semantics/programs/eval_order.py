"""Order of evaluation: arguments, operands, displays, attribute chains, calls."""
log = []


def t(x):
    log.append(x)
    return x


def f(*a, **k):
    return a, k


def show(label):
    print(label, log)
    log.clear()


f(t(1), t(2), *[t(3), t(4)], k=t(5), **{t("k2"): t(6)})
show("call")
t(1) + t(2) * t(3) - t(4) ** t(5)
show("binops")
t(2) ** t(3) ** t(1)
show("pow right-assoc")
{t("k1"): t("v1"), t("k2"): t("v2"), **{t("k3"): t("v3")}}
show("dict display")
[t(1), *[t(2)], t(3)]
show("list display")
{t(1), t(2)}
show("set display")
(t("callee") and f)(t("a"), t("b"))
show("callee before args")
t([10, 20])[t(0)]
show("subscript")
t(1) if t(True) else t(2)
show("ifexp")
lam = lambda: t("body")
t("before"), lam(), t("after")
show("lambda")
x = t([0])
x[t(0)] = t("value")
show("store")
print(f"{t('f1')}{t('f2')!r:>{t(5)}}")
show("fstring")


class Chain:
    def __getattr__(self, name):
        log.append("." + name)
        return self

    def __call__(self, *a):
        log.append(("call", a))
        return self


c = Chain()
c.a.b(t(1)).c(t(2), t(3)).d
show("attr chain")
assert t(1) < t(2), t("msg")
show("assert")
with_ = [t(i) for i in range(3) if t(i % 2)]
show("comprehension")
