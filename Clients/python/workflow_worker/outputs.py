"""Job outputs: what a job hands on to the jobs after it, and what they read (`JobInputs`).

A job sets outputs with `JobContext.set_output`; they are sent with its completion
(`JobCompletion.outputs`) and count only if the attempt completes. The server stores them with
the workflow (`Job.outputs` in GetWorkflow, the `JOB_COMPLETED` event) and gives them to every
later job of the workflow (`JobAssignment.inputs`), which reads them through `JobContext.inputs`.

Outputs are small values (a count, an id, a checksum); bulk data goes in an uploaded file or an
artifact, and its id in an output. The server's limits, checked here before anything is sent:

- a name is 1 to `MAX_NAME_BYTES` ASCII letters, digits, '_', '.' or '-';
- the names and values of one job's outputs take at most `MAX_TOTAL_BYTES` bytes of UTF-8
  together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Mapping, Optional, Tuple

from .protos import workflow_pb2 as pb

MAX_TOTAL_BYTES = 65_536
"""The most bytes of UTF-8 the names and values of one job's outputs take together."""
MAX_NAME_BYTES = 128
"""The longest output name, in bytes."""

_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,%d}" % MAX_NAME_BYTES)


class OutputLimitError(ValueError):
    """An output breaks the server's limits (see the module docstring); nothing was set."""


def check_name(name: str) -> str:
    """Returns `name` if it is a valid output name.

    Raises:
        OutputLimitError: It is not 1 to 128 ASCII letters, digits, '_', '.' or '-'.
    """
    if not isinstance(name, str) or _NAME.fullmatch(name) is None:
        raise OutputLimitError(
            f"output name {name!r}: an output name is 1 to {MAX_NAME_BYTES} ASCII letters, digits, '_', '.' or '-'")
    return name


def output_value(name: str, value: object) -> str:
    """The text of an output value: a `str` as it is, an `int` in decimal.

    Raises:
        TypeError: Any other type (a bool included): the caller chooses how to write it.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"output {name!r} must be a str (or an int), not {type(value).__name__}")


def size_of(name: str, value: str) -> int:
    """How many bytes an output counts against `MAX_TOTAL_BYTES`."""
    return len(name.encode("utf-8")) + len(value.encode("utf-8"))


class Outputs:
    """The outputs one attempt set so far, held to the limits. Not thread-safe (the context
    guards it)."""

    def __init__(self) -> None:
        self._values: Dict[str, str] = {}
        self._bytes = 0

    def set_all(self, values: Mapping[str, object]) -> None:
        """Sets every output of `values`, or none of them.

        Raises:
            OutputLimitError: A name is invalid, or the outputs would take more than
                `MAX_TOTAL_BYTES`.
            TypeError: A value is neither a str nor an int.
        """
        checked = {check_name(name): output_value(name, value) for name, value in values.items()}
        merged = dict(self._values)
        merged.update(checked)
        total = sum(size_of(name, value) for name, value in merged.items())
        if total > MAX_TOTAL_BYTES:
            names = ", ".join(sorted(checked)) or "(none)"
            raise OutputLimitError(
                f"setting {names} would make the job's outputs take {total} bytes; they may take at most "
                f"{MAX_TOTAL_BYTES} bytes of names and values (hand bulk data on as an artifact or an uploaded "
                "file, and its id as an output)")
        self._values = merged
        self._bytes = total

    @property
    def values(self) -> Dict[str, str]:
        """A copy of the outputs."""
        return dict(self._values)

    @property
    def total_bytes(self) -> int:
        """How many of `MAX_TOTAL_BYTES` they take."""
        return self._bytes


@dataclass(frozen=True)
class JobOutputs:
    """The outputs of one earlier job of the workflow (workflow.v1.JobOutputs)."""

    job_id: str
    job_name: str
    job_position: int
    outputs: Mapping[str, str] = field(default_factory=dict)


class JobInputs(Mapping[str, str]):
    """The outputs of the jobs before this one, as the job reads them.

    As a mapping it holds, for each name, the value of the latest earlier job that set it;
    `of_job` gives one job's outputs and `jobs` every earlier job's, in workflow order::

        rows = int(ctx.inputs["rows_read"])                       # the latest job's value
        fetched = ctx.inputs.of_job("Fetch External Assets")      # one job's outputs
        for job in ctx.inputs.jobs:                               # every earlier job
            print(job.job_position, job.job_name, dict(job.outputs))
    """

    def __init__(self, jobs: List[JobOutputs]):
        self._jobs = sorted(jobs, key=lambda job: job.job_position)
        latest: Dict[str, str] = {}
        for job in self._jobs:
            latest.update(job.outputs)
        self._latest = latest

    @classmethod
    def from_assignment(cls, assignment: pb.JobAssignment) -> "JobInputs":
        """The inputs a `JobAssignment` carries."""
        return cls([JobOutputs(entry.job_id, entry.job_name, entry.job_position, dict(entry.outputs))
                    for entry in assignment.inputs])

    @property
    def jobs(self) -> Tuple[JobOutputs, ...]:
        """Every earlier job's outputs, in workflow order (jobs without outputs included when
        the server lists them)."""
        return tuple(self._jobs)

    def of_job(self, job_name: str) -> Dict[str, str]:
        """The outputs of the earlier job named `job_name` (the latest, if several share the
        name); empty if there is none."""
        for job in reversed(self._jobs):
            if job.job_name == job_name:
                return dict(job.outputs)
        return {}

    def get_from(self, job_name: str, name: str, default: Optional[str] = None) -> Optional[str]:
        """Output `name` of the earlier job named `job_name`, or `default`."""
        return self.of_job(job_name).get(name, default)

    def __getitem__(self, name: str) -> str:
        return self._latest[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._latest)

    def __len__(self) -> int:
        return len(self._latest)

    def __repr__(self) -> str:
        return f"JobInputs({self._latest!r}, jobs={[job.job_name for job in self._jobs]!r})"
