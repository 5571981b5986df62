# smsgw.log runs in error paths, often because the heap is short: logging never raises.
from smsgw import log


class _NoRoom:
    # formatting it needs heap there is none of (what a full heap does to "%s" % e)
    def __str__(self):
        raise MemoryError("memory allocation failed, allocating 88 bytes")

    __repr__ = __str__


def test_a_line_that_cannot_be_formatted_is_lost_not_raised():
    log.warn("inbox: %s", _NoRoom())
    log.error("%s", _NoRoom())


def test_an_exception_whose_traceback_cannot_be_built_is_logged_or_lost():
    try:
        raise ValueError(_NoRoom())
    except ValueError as e:
        log.exc("sender", e)  # returns: the caller's except block goes on


def test_the_flash_log_rotates_once_past_its_size_and_keeps_one_old_file():
    import os

    from fsutil import scratch

    root = scratch("log")
    log.setup(root + "/log.txt", 512)
    try:
        for i in range(30):  # 30 lines of ~40 bytes: past 512 twice
            log.info("line %02d of the rotation test", i)
    finally:
        log.setup(None)
    assert sorted(os.listdir(root)) == ["log.1.txt", "log.txt"]
    with open(root + "/log.1.txt") as f:
        old = f.read()
    with open(root + "/log.txt") as f:
        new = f.read()
    assert 512 < len(old) < 600 and len(new) <= 512, (len(old), len(new))
    assert old.endswith(" line 25 of the rotation test\n"), old[-60:]
    assert " line 26 " in new.splitlines()[0] and new.endswith(" line 29 of the rotation test\n")
