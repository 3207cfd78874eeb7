"""The wait before each reconnect: exponential, capped, with jitter."""

from __future__ import annotations

import random
from typing import Callable, Optional


class Backoff:
    """Exponential backoff with "equal jitter": each delay is half fixed, half random.

    The n-th delay after a reset is drawn from [d/2, d] with d = min(initial * multiplier**n,
    maximum), so workers cut off together do not reconnect together, yet none waits less than
    half its step.

    >>> backoff = Backoff(initial=0.1, maximum=5.0, random=lambda: 1.0)
    >>> [backoff.next() for _ in range(4)]
    [0.1, 0.2, 0.4, 0.8]
    """

    def __init__(self, initial: float = 0.1, maximum: float = 5.0, multiplier: float = 2.0,
                 random: Optional[Callable[[], float]] = None):
        if initial <= 0 or maximum < initial or multiplier < 1:
            raise ValueError("backoff needs 0 < initial <= maximum and multiplier >= 1")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self._random = random or _random_unit
        self._step = initial

    def next(self) -> float:
        """The next delay in seconds; each call doubles the step (up to the maximum)."""
        step = self._step
        self._step = min(step * self.multiplier, self.maximum)
        return step / 2 + step / 2 * self._random()

    def exhaust(self) -> None:
        """Jumps to the maximum step (after an error that only someone's fix will end, so
        there is no point in retrying soon)."""
        self._step = self.maximum

    def reset(self) -> None:
        """Starts over from the initial step (after a connection that worked)."""
        self._step = self.initial


def _random_unit() -> float:
    return random.random()
