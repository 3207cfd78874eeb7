import WorkflowModel

/// One change for an ``EventStore`` to commit, in the order the engine made them.
public enum StoreWrite: Sendable {
    /// Sequenced events to append to the stored log.
    case events([LogEvent])
    /// A workflow's current state and the sequence of its first event; inserts or replaces.
    /// The store keeps its jobs without their steps (stored from the `stepLogged` events),
    /// each counting them (``Job/stepCount``) in `storedStepCount`; the engine hands over its
    /// tree as it is, save for running jobs, whose steps in memory it leaves out and counts.
    ///
    /// Indirect: the snapshot lives in one box, so a write is two words, not a whole
    /// `Workflow` inline, and a copy of it on its way to the writer retains one reference
    /// instead of every one the workflow holds.
    indirect case workflow(Workflow, firstSequence: UInt64)
    /// The engine forgot a finished workflow: remove it, its steps and progress. A store may
    /// apply a commit's forgets after its other writes: the engine writes nothing of a
    /// workflow once it forgot it.
    case forget(workflowID: String)
    /// Records a job keeps next to the events that report them; each replaces the stored record
    /// of its collection and key unless that one has a higher revision.
    case records([StoredRecord])
}
