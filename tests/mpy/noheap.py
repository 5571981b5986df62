# Test helper for firmware tests: what a board meets when its heap has no block for a module's
# code. `with no_heap_for("smsgw.queue", "accept"):` makes `from smsgw.queue import accept`
# raise MemoryError (as MicroPython's loader does); every other import goes on as usual.
import builtins


class no_heap_for:
    def __init__(self, package, name):
        self.package, self.name = package, name
        self.real = None

    def __enter__(self):
        real = self.real = builtins.__import__

        def short(name, *args):
            if name == self.package and len(args) > 2 and args[2] and self.name in args[2]:
                raise MemoryError("memory allocation failed, allocating 1104 bytes")
            return real(name, *args)

        builtins.__import__ = short
        return self

    def __exit__(self, *exc):
        builtins.__import__ = self.real
