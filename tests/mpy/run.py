# Minimal test runner for the MicroPython unix port (no unittest there by default).
# Usage: micropython -X heapsize=64K tests/mpy/run.py test_module [test_name]
# Runs every top-level `test_*` callable of the module (coroutines through asyncio),
# prints one line per test and closes with "N passed, N failed"; exit status 1 on failure.
import sys

sys.path.insert(0, "tests/mpy")
sys.path.insert(0, "firmware")
sys.path.insert(0, "")  # repo root: `import boards.unix`
sys.path.append("host/smsgate/sim")  # pdu_mt, the host's MT-PDU builder, for test PDUs


def _run_one(fn):
    res = fn()
    if hasattr(res, "send"):  # a coroutine
        import asyncio

        asyncio.run(res)


def main(argv):
    mod = __import__(argv[1])
    only = argv[2] if len(argv) > 2 else None
    passed = failed = 0
    for name in sorted(dir(mod)):
        if not name.startswith("test_") or (only and name != only):
            continue
        fn = getattr(mod, name)
        if not callable(fn):
            continue
        try:
            _run_one(fn)
        except Exception as exc:  # report and carry on: one line per failure
            failed += 1
            print("FAIL", name)
            sys.print_exception(exc)
        else:
            passed += 1
            print("PASS", name)
    print("%d passed, %d failed" % (passed, failed))
    return failed == 0 and passed > 0


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv) else 1)
