# Task ownership: the one way an owner ends a task it started (every task has an owner
# that cancels and awaits it in stop()).
import asyncio


async def cancel_and_wait(task, swallow=None):
    """Cancel `task` (None: nothing to do) and wait for it to end.

    `swallow` is the exception class (or tuple) the ending may raise that is ours to ignore:
    None (the default) for the CancelledError we asked for; owners whose tasks may also die of
    a bug pass (asyncio.CancelledError, Exception). Anything else propagates.
    """
    if task is None:
        return
    if swallow is None:
        swallow = asyncio.CancelledError
    task.cancel()
    try:
        await task
    except swallow:
        pass


async def cancel_all(tasks, swallow=None):
    """Cancel every task of `tasks` first, then wait for each to end (see cancel_and_wait)."""
    if swallow is None:
        swallow = asyncio.CancelledError
    for t in tasks:
        t.cancel()
    for t in tasks:  # cancelled above: not cancelled twice
        try:
            await t
        except swallow:
            pass
