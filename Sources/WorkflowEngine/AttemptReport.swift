/// What an attempt reported that the engine takes when the attempt ends.
struct AttemptReport {
    /// Updates the engine has not recorded yet, oldest first.
    var pending: [PendingJobUpdate]
    /// The job's counters.
    var counters: [String: Int64]
    /// The job's outputs, kept if the attempt completed the job.
    var outputs: [String: String]
}
