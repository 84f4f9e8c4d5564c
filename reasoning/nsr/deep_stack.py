"""Run a function on a thread with a large native stack, for evaluations that recurse deeply.

The interpreter (:mod:`reasoning.nsr.program_eval`) recurses natively, a few frames per ``self`` call,
and a main thread's stack (8 MiB) overflows — a segmentation fault, not an exception — near ten
thousand nested calls: ``add(5000, 4999)`` by recursion on one argument. A thread's stack size is
set when it starts, so a deep evaluation runs on a new thread and the caller waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Native stack reserved per permitted level of self/call nesting (measured need: about 1 KiB).
_BYTES_PER_LEVEL = 8 << 10
_MIN_STACK = 64 << 20


def call_with_stack(function: Callable[[], T], max_depth: int) -> T:
    """``function()`` run on a thread whose stack holds ``max_depth`` nested program calls; its result or error."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error

    previous = threading.stack_size(max(_MIN_STACK, max_depth * _BYTES_PER_LEVEL))
    try:
        thread = threading.Thread(target=run, name="nsr-deep-evaluation")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
