"""pickle/copy of functions and classes defined in __main__ (found via sys.modules)."""
import copy
import pickle


class Payload:
    def __init__(self, v):
        self.v = v

    def __eq__(self, o):
        return isinstance(o, Payload) and o.v == self.v

    def __reduce__(self):
        return (Payload, (self.v,))


def top_level(x):
    return x * 3


data = {"p": Payload([1, 2]), "f": top_level, "cls": Payload}
blob = pickle.dumps(data)
back = pickle.loads(blob)
print(back["p"] == data["p"], back["f"] is top_level, back["cls"] is Payload, back["f"](2))
print(Payload.__module__, top_level.__module__, top_level.__qualname__)
print(b"__main__" in blob)
deep = copy.deepcopy(data)
print(deep["p"] == data["p"], deep["p"] is not data["p"])
try:
    pickle.dumps(lambda: 1)
except (pickle.PicklingError, AttributeError) as exc:
    print(type(exc).__name__, str(exc).split(" at 0x")[0])
