import WorkflowModel

/// One attempt of a job while the engine waits on it; owned by the engine actor.
///
/// Legal next states: running → stopping (the engine asked it to stop: a timeout or a cancel
/// request; a timer bounds how long it may take) → ended; or running → ended (it returned or
/// its worker reported its end, or the engine abandoned it on a deadline, a shutdown or an
/// expired lease). A local attempt may also be between its function's end and its own: the
/// engine still records what the function logged (``functionOutcome`` is set), a timeout is
/// ignored, and a grace's end, a deadline or a shutdown ends it as its function ended. The
/// engine identifies the attempt by ``epoch`` in everything it schedules, so a report of an
/// attempt that already ended is recognised and ignored.
struct RunningAttempt {
    /// Who runs the attempt. Indirect, so that the ``WorkflowRecord`` of every retained
    /// workflow, which holds an optional attempt inline, stays small while none runs.
    indirect enum Runner {
        /// A job function in this process, in a task of its own, reporting through `context`.
        case local(context: JobContext, task: Task<Void, Never>)
        /// A worker of another service, under a lease.
        case remote(RemoteLease)
    }

    /// Unique among all attempts the engine ever started, across restarts: the sequence of the
    /// attempt's `jobStarted` event (a remote job's lease epoch).
    let epoch: UInt64
    /// Who runs it.
    var runner: Runner
    /// The timeout timer while running; the grace timer while stopping.
    var timer: Task<Void, Never>?
    /// Why the engine asked the attempt to stop, if it did for a reason of its own (a timeout):
    /// the attempt ends with this failure whatever the job reports.
    var stopFailure: (failure: JobFailureDescription, outcome: JobAttempt.Outcome)?
    /// Whether the engine asked the attempt to stop.
    var isStopping = false

    /// The lease, for an attempt a worker runs.
    var lease: RemoteLease? {
        if case .remote(let lease) = runner { lease } else { nil }
    }

    /// How a local job function ended, once it did while the engine still records what it
    /// logged; `nil` while it runs, and for an attempt a worker runs.
    var functionOutcome: JobContext.FunctionOutcome? {
        if case .local(let context, _) = runner { context.functionOutcome } else { nil }
    }

    /// Changes the lease of an attempt a worker runs; nothing for a local one.
    mutating func updateLease(_ change: (inout RemoteLease) -> Void) {
        guard case .remote(var lease) = runner else { return }
        change(&lease)
        runner = .remote(lease)
    }

    /// Asks the attempt to stop (a local job's context reports cancelled and its task is
    /// cancelled; the engine tells a worker itself) and replaces the timer with `graceTimer`.
    mutating func stop(graceTimer: Task<Void, Never>) {
        isStopping = true
        if case .local(let context, let task) = runner {
            context.cancel()
            task.cancel()
        }
        timer?.cancel()
        timer = graceTimer
    }

    /// Stops everything the attempt scheduled and asks a local job function to stop; for an
    /// attempt the engine no longer waits on.
    func abandon() {
        timer?.cancel()
        if case .local(let context, let task) = runner {
            context.cancel()
            task.cancel()
        }
    }

    /// Takes what the attempt reported that the engine has not recorded yet, its counters and
    /// outputs; a local job's later calls are ignored from now on.
    func close() -> AttemptReport {
        switch runner {
        case .local(let context, _): context.close()
        case .remote(let lease): AttemptReport(pending: [], counters: lease.counters, outputs: lease.outputs)
        }
    }
}
