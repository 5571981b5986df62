# Test helper for firmware tests: wait for a condition with a deadline, never a fixed sleep.
import asyncio


async def until(cond, ms=10000):
    """Poll cond() every 10 ms until it holds (a busy machine runs tasks late); fail after `ms`."""
    for _ in range(ms // 10):
        if cond():
            return
        await asyncio.sleep_ms(10)
    raise AssertionError("condition not met after %d ms" % ms)
