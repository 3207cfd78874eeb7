/// One job of a workflow template: a name, what does the work (a function in this process, or a
/// worker of another service: ``RemoteJob``), how often it is retried, and how long each
/// attempt may take.
///
/// The function runs off the engine actor (it is a plain `async` function), gets the job's
/// ``JobContext`` to log steps, progress and stats, and fails the attempt by throwing. Jobs are
/// run at least once: an attempt that fails, times out or is cut off by a stop of the server
/// runs again (see ``RetryPolicy``), so a function must be safe to run again; the context gives
/// it the attempt number and a stable ``JobContext/idempotencyKey``.
///
/// ```swift
/// JobDefinition(name: "Fetch External Assets", retryPolicy: .standard, timeout: .seconds(30)) { context in
///     let assets = try await fetch(context.params["url"] ?? "")
///     context.logStep("Fetched \(assets.count) assets")
///     context.incrementStat("itemsProcessed", by: Int64(assets.count))
/// }
/// JobDefinition(name: "Process Data", remote: RemoteJob(queue: "import"), retryPolicy: .standard)
/// ```
public struct JobDefinition: Sendable {
    /// What does a job's work.
    public enum Work: Sendable {
        /// A function in this process: it runs off the engine actor and fails the attempt by
        /// throwing.
        case function(@Sendable (JobContext) async throws -> Void)
        /// A worker connected over `WorkerService` that serves the job's queue.
        case remote(RemoteJob)
    }

    /// Which threads run a function's body.
    public struct Execution: Sendable, Hashable, CustomStringConvertible {
        private enum Kind: Hashable {
            case pooled
            case inline
        }

        private let kind: Kind

        /// Swift's global concurrent executor: the body may compute for long or block without
        /// delaying the engine or the server's network I/O, and each attempt wakes a pool
        /// thread to start. The default.
        public static let pooled = Execution(kind: .pooled)

        /// The threads that run the engine (a server's network event loops, when the engine's
        /// ``EngineExecutor`` offers them through ``EngineExecutor/inlineJobExecutor``): the
        /// body runs on the loop that started it, between network events, with no thread hop,
        /// so it must only log, await and compute briefly between awaits; anything longer
        /// delays every connection on its loop. Pooled when the executor offers none.
        public static let inline = Execution(kind: .inline)

        /// `pooled` or `inline`.
        public var description: String {
            switch kind {
            case .pooled: "pooled"
            case .inline: "inline"
            }
        }
    }

    /// The job's human-readable name, e.g. "Process Data".
    public var name: String
    /// When a failed attempt runs again; one attempt, no retry, by default.
    public var retryPolicy: RetryPolicy
    /// The start-to-close timeout of each attempt; `nil` for none. An attempt still running
    /// then is cancelled through its context and fails with the code `TIMEOUT`.
    public var timeout: Duration?
    /// How long an attempt that was asked to stop (on its timeout or a cancel request) may take
    /// to return before the engine abandons it and goes on without it. (A workflow deadline
    /// abandons the attempt at once.) An abandoned attempt may still be running when the next
    /// attempt starts.
    public var cancellationGrace: Duration
    /// What does the work.
    public var work: Work
    /// Which threads run a function's body; ``Execution/pooled`` unless a body is known to be
    /// brief between awaits. (A remote job's body runs in its worker: this does not apply.)
    public var execution: Execution

    /// Creates a job definition.
    ///
    /// - Parameters:
    ///   - name: The job's human-readable name.
    ///   - retryPolicy: When a failed attempt runs again.
    ///   - timeout: The start-to-close timeout of each attempt; `nil` for none.
    ///   - cancellationGrace: How long a cancelled attempt may take to return.
    ///   - execution: Which threads run `run`.
    ///   - run: The work; runs off the engine actor.
    public init(
        name: String,
        retryPolicy: RetryPolicy = .noRetries,
        timeout: Duration? = nil,
        cancellationGrace: Duration = .seconds(5),
        execution: Execution = .pooled,
        run: @escaping @Sendable (JobContext) async throws -> Void
    ) {
        self.name = name
        self.retryPolicy = retryPolicy
        self.timeout = timeout
        self.cancellationGrace = cancellationGrace
        self.execution = execution
        self.work = .function(run)
    }

    /// Creates a job a worker of another service runs.
    ///
    /// - Parameters:
    ///   - name: The job's human-readable name.
    ///   - remote: The queue its attempts wait in, and its lease's heartbeat and schedule-to-start
    ///     timeouts.
    ///   - retryPolicy: When a failed attempt (a worker's failure, a lease that expired) runs again.
    ///   - timeout: The start-to-close timeout of each attempt, from its assignment to a worker.
    ///   - cancellationGrace: How long a cancelled attempt's worker may take to report its end.
    public init(
        name: String,
        remote: RemoteJob,
        retryPolicy: RetryPolicy = .noRetries,
        timeout: Duration? = nil,
        cancellationGrace: Duration = .seconds(5)
    ) {
        self.name = name
        self.retryPolicy = retryPolicy
        self.timeout = timeout
        self.cancellationGrace = cancellationGrace
        self.execution = .pooled
        self.work = .remote(remote)
    }

    /// The queue of a remote job; `nil` for a function.
    public var queue: String? {
        if case .remote(let remote) = work { remote.queue } else { nil }
    }
}
