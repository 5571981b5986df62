# Task ownership: the one way an owner ends a task it started (every task has an owner
# that cancels and awaits it in stop()), and the base of owners of one task (TaskOwner).
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


class TaskOwner:
    """Base of an object that owns one long-running task, the coroutine of its run(): start()
    creates the task (once; returns it), stop() cancels it and waits for it to end (then
    start() may create a new one)."""

    _task = None  # the running task (set on the instance by start())

    def start(self):
        if self._task is None:
            run = self.run  # pyright: ignore[reportAttributeAccessIssue] (the subclass's)
            self._task = asyncio.create_task(run())
        return self._task

    async def stop(self):
        t, self._task = self._task, None
        await cancel_and_wait(t)
