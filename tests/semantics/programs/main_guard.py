"""The __name__ == '__main__' guard and module identity."""
import sys


def main():
    print("main ran", __name__)
    return 0


print("module level", __name__)
if __name__ == "__main__":
    status = main()
    print(sys.modules[__name__] is sys.modules["__main__"], status)
else:
    print("imported")
