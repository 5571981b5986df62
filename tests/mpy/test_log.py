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
