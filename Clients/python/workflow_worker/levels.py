"""Step severities, accepted as `Level` members, names or `workflow.v1.LogLevel` numbers."""

from __future__ import annotations

import enum
from typing import Union


class Level(enum.IntEnum):
    """The severity of a step, in increasing order; the values are `workflow.v1.LogLevel`'s."""

    DEBUG = 1
    """Detail for diagnosing the job."""
    INFO = 2
    """Normal progress (the default)."""
    WARN = 3
    """Something unexpected that did not stop the job."""
    ERROR = 4
    """A failure."""

    @classmethod
    def parse(cls, level: "LevelLike") -> "Level":
        """The level named by `level`.

        Args:
            level: A `Level`, a name ("DEBUG", "INFO", "WARN" or "WARNING", "ERROR", in any
                case, with or without the `LOG_LEVEL_` prefix) or a `workflow.v1.LogLevel`
                number from 1 to 4.

        Returns:
            The level.

        Raises:
            ValueError: `level` names no level.
        """
        if isinstance(level, cls):
            return level
        if isinstance(level, str):
            name = level.strip().upper()
            name = name[len("LOG_LEVEL_"):] if name.startswith("LOG_LEVEL_") else name
            if name == "WARNING":
                name = "WARN"
            try:
                return cls[name]
            except KeyError:
                pass
        elif isinstance(level, int) and not isinstance(level, bool):
            try:
                return cls(level)
            except ValueError:
                pass
        raise ValueError(f"unknown step level {level!r}: expected DEBUG, INFO, WARN or ERROR")


LevelLike = Union[Level, str, int]
