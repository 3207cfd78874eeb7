import WorkflowModel

/// One attempt of a job while the engine waits on it; owned by the engine actor.
///
/// Legal next states: running → stopping (the engine asked it to stop: a timeout or a cancel
/// request; a timer bounds how long it may take) → ended; or running → ended (it returned, or
/// the engine abandoned it on a deadline or a shutdown). The engine identifies the attempt by
/// ``epoch`` in everything it schedules, so a report of an attempt that already ended is
/// recognised and ignored.
struct RunningAttempt {
    /// Unique among all attempts the engine ever started.
    let epoch: UInt64
    /// The context the job function reports through.
    let context: JobContext
    /// The task running the job function.
    let task: Task<Void, Never>
    /// The timeout timer while running; the grace timer while stopping.
    var timer: Task<Void, Never>?
    /// Why the engine asked the attempt to stop, if it did for a reason of its own (a timeout):
    /// the attempt ends with this failure whatever the function returns.
    var stopFailure: (failure: JobFailureDescription, outcome: JobAttempt.Outcome)?
    /// Whether the engine asked the attempt to stop.
    var isStopping = false

    /// Asks the job function to stop (its context reports cancelled, its task is cancelled) and
    /// replaces the timer with `graceTimer`.
    mutating func stop(graceTimer: Task<Void, Never>) {
        isStopping = true
        context.cancel()
        task.cancel()
        timer?.cancel()
        timer = graceTimer
    }

    /// Stops everything the attempt scheduled and asks its function to stop; for an attempt the
    /// engine no longer waits on.
    func abandon() {
        timer?.cancel()
        context.cancel()
        task.cancel()
    }
}
