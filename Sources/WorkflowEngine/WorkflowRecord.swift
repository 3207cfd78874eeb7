import Synchronization
import WorkflowModel

/// Everything the engine keeps about one workflow; owned by the engine actor and never shared.
final class WorkflowRecord {
    /// The tree callers read, updated in place.
    var workflow: Workflow {
        didSet { revision = Self.nextRevision() }
    }
    /// Changes with every change of ``workflow``, so a caller can tell an unchanged tree.
    /// Drawn from one counter for the whole process, so no two trees (even of two workflows
    /// that came to share an id) ever have the same revision.
    private(set) var revision: UInt64

    private static let revisions = Atomic<UInt64>(0)

    private static func nextRevision() -> UInt64 {
        revisions.add(1, ordering: .relaxed).newValue
    }
    /// The request that started the workflow, to recognize retries with the same request id.
    private(set) var request: WorkflowRequest
    /// The jobs to run, in order; empty once the workflow ended (or was restored ended), until
    /// a retry makes them again.
    var definitions: [JobDefinition]
    /// How long the workflow may run from its start or retry; `nil` for no deadline.
    let deadline: Duration?
    /// The outputs that make the result (see ``WorkflowTemplate/resultOutputs``).
    let resultOutputs: [String]?
    /// References to the jobs, precomputed for events; empty once only the store holds the tree.
    private(set) var jobRefs: [JobRef]
    /// The position of the job the workflow is at: running, waiting for its next attempt, or
    /// about to start.
    var position = 0
    /// The attempt the workflow waits on, if one runs; an attempt the engine abandoned (timed
    /// out past its grace, interrupted by a shutdown) is no longer here, and what it reports
    /// later is ignored.
    var attempt: RunningAttempt?
    /// The sequence of the workflow's `workflowCancelRequested` event, once a caller asked it to
    /// stop (0 before).
    var cancelRequestSequence: UInt64 = 0
    /// The wait before the current job's next attempt, while the job waits for it.
    var retryTimer: Task<Void, Never>?
    /// The wait for the workflow's deadline, while it runs with one.
    var deadlineTimer: Task<Void, Never>?
    /// The sequence of the workflow's `workflowStarted` event: none of its events come earlier.
    var firstSequence: UInt64 = 0
    /// The sequence of the workflow's latest terminal event (0 before it ever ended, or when it
    /// was restored already ended and so already durable).
    var terminalSequence: UInt64 = 0
    /// The steps with sequences up to this one are in the store only (the jobs'
    /// `storedStepCount` counts them); 0 while the tree holds every step.
    var stepsInStoreThrough: UInt64 = 0
    /// Whether only the store holds the tree: ``workflow`` is the summary of an ended workflow
    /// that cannot run again (no jobs, result or counters), and is never stored again.
    private(set) var treeInStore = false
    /// For a summary: the reports applied under each of its jobs' worker leases, by lease
    /// epoch, so that a worker sending one of them again is still told it was applied.
    private(set) var appliedReportsByLease: [UInt64: UInt64] = [:]
    /// Set once the engine no longer retains the workflow; the record may linger in the
    /// engine's creation order for a while.
    private(set) var isForgotten = false

    init(
        workflow: consuming Workflow,
        request: WorkflowRequest,
        definitions: [JobDefinition],
        deadline: Duration? = nil,
        resultOutputs: [String]? = nil
    ) {
        self.jobRefs = workflow.jobs.map { JobRef(id: $0.id, name: $0.name, position: $0.position) }
        self.workflow = consume workflow
        self.revision = Self.nextRevision()
        self.request = request
        self.definitions = definitions
        self.deadline = deadline
        self.resultOutputs = resultOutputs
    }

    /// Marks the workflow forgotten and lets go of what can be large (its jobs and their
    /// steps, its parameters, its error), which nothing reads any more, while the record
    /// lingers in the creation order with little more than the workflow's ids and summary.
    func markForgotten() {
        isForgotten = true
        workflow.jobs = []
        workflow.params = [:]
        workflow.error = nil
        workflow.result = [:]
        workflow.artifacts = []
        request.params = [:]
    }

    /// Lets go of what the store holds: the steps in the tree, which the store holds through
    /// `sequence` (each job counts them in `storedStepCount` instead). A workflow that cannot
    /// run again (completed or cancelled; a failed one can be retried) keeps only its summary:
    /// the store holds its tree.
    func leaveHistoryToStore(through sequence: UInt64) {
        switch workflow.status {
        case .completed, .cancelled:
            keepOnlySummary(stepsThrough: sequence)
            return
        case .failed:
            break
        default:
            preconditionFailure("workflow \(workflow.id) is \(workflow.status): only an ended one leaves its history to the store")
        }
        guard workflow.jobs.contains(where: { !$0.steps.isEmpty }) else { return }
        for index in workflow.jobs.indices {
            workflow.jobs[index].leaveStepsToStore()
        }
        stepsInStoreThrough = sequence
    }

    /// Keeps only what listing, counting and forgetting read; see ``treeInStore``.
    private func keepOnlySummary(stepsThrough sequence: UInt64) {
        // By index: only the leases are read, no job is copied out.
        for index in workflow.jobs.indices {
            keepAppliedReports(of: workflow.jobs[index].lease)
            for attempt in workflow.jobs[index].failedAttempts.indices {
                keepAppliedReports(of: workflow.jobs[index].failedAttempts[attempt].lease)
            }
        }
        // In place: a copy of the workflow to trim would retain everything it holds first.
        workflow.jobs = []
        workflow.result = [:]
        workflow.stats = Stats()
        workflow.error = nil
        if workflow.requestID.isEmpty {
            // Nothing compares a repeated request with it: its parameters can go too.
            workflow.params = [:]
            request.params = [:]
        }
        jobRefs = []
        treeInStore = true
        stepsInStoreThrough = sequence
    }

    /// Remembers how many reports a worker's lease had applied, for a late repeat to find.
    private func keepAppliedReports(of lease: JobLease?) {
        if let lease, lease.acceptedReports > 0 {
            appliedReportsByLease[lease.epoch] = lease.acceptedReports
        }
    }

    /// Stops the timers of the workflow's current state (the retry wait, the deadline).
    func cancelTimers() {
        retryTimer?.cancel()
        retryTimer = nil
        deadlineTimer?.cancel()
        deadlineTimer = nil
    }

    /// Changes the lease of the running attempt, if a worker runs it.
    func updateLease(_ change: (inout RemoteLease) -> Void) {
        attempt?.updateLease(change)
    }

    /// The outputs of the jobs before the one at `position`, for that job to read.
    func inputs(before position: Int) -> JobInputs {
        JobInputs(workflow.jobs[..<position].map { job in
            JobInputs.Entry(jobID: job.id, jobName: job.name, position: job.position, outputs: job.outputs)
        })
    }

    /// The result of the completed workflow: the designated outputs, or the last job's.
    func result() -> [String: String] {
        guard let names = resultOutputs else { return workflow.jobs.last?.outputs ?? [:] }
        let inputs = inputs(before: workflow.jobs.count)
        var result: [String: String] = [:]
        for name in names {
            result[name] = inputs[name]
        }
        return result
    }

    /// Queues the workflow's current state for the store (nothing without one).
    func persist(in log: EventLog) {
        precondition(!treeInStore, "a summary must never replace the stored tree of workflow \(workflow.id)")
        log.persist(workflow, firstSequence: firstSequence)
    }
}
