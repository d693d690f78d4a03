"""The runtime's per-key locks (the publish lock map): presses on one key go in turn, other keys
don't wait, and the map holds only keys in use, so it cannot grow without bound."""

from __future__ import annotations

import asyncio

from bot.locks import KeyedLocks


async def test_holders_of_one_key_go_in_turn_and_other_keys_do_not_wait() -> None:
    locks: KeyedLocks[tuple[str, int]] = KeyedLocks()
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold(("T1", 1)):
            order.append("first in")
            first_in.set()
            await release.wait()
            order.append("first out")

    async def second() -> None:
        async with locks.hold(("T1", 1)):
            order.append("second in")

    one = asyncio.create_task(first())
    await first_in.wait()
    two = asyncio.create_task(second())
    async with locks.hold(("T1", 2)):  # another incident: not held up by the first press
        order.append("other key")
    await asyncio.sleep(0)
    assert len(locks) == 1  # ("T1", 1), held and waited for; ("T1", 2) dropped on release
    release.set()
    await asyncio.gather(one, two)
    assert order == ["first in", "other key", "first out", "second in"]
    assert len(locks) == 0


async def test_the_map_forgets_every_key_once_released_also_after_errors_and_cancels() -> None:
    locks: KeyedLocks[tuple[str, int]] = KeyedLocks()
    for incident_id in range(1000):
        async with locks.hold(("T1", incident_id)):
            pass
    try:
        async with locks.hold(("T1", 0)):
            raise RuntimeError("publish failed")
    except RuntimeError:
        pass
    holding = asyncio.Event()

    async def hold_forever() -> None:
        async with locks.hold(("T1", 7)):
            holding.set()
            await asyncio.Event().wait()

    holder = asyncio.create_task(hold_forever())
    await holding.wait()

    async def wait_for_it() -> None:
        async with locks.hold(("T1", 7)):
            pass

    waiter = asyncio.create_task(wait_for_it())
    await asyncio.sleep(0)
    assert len(locks) == 1  # one key, held by one and waited for by the other
    waiter.cancel()
    holder.cancel()
    await asyncio.gather(holder, waiter, return_exceptions=True)
    assert len(locks) == 0
