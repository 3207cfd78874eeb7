/// The outputs of the jobs before a job in its workflow, as that job reads them.
///
/// ```swift
/// let rows = context.inputs["rows_read"]                                  // the latest job's value
/// let fetched = context.inputs.outputs(ofJob: "Fetch External Assets")    // one job's outputs
/// ```
public struct JobInputs: Sendable, Hashable {
    /// The outputs of one earlier job.
    public struct Entry: Sendable, Hashable {
        /// The job's id.
        public var jobID: String
        /// The job's name, e.g. "Fetch External Assets".
        public var jobName: String
        /// The job's zero-based position in the workflow.
        public var position: Int
        /// What it handed on.
        public var outputs: [String: String]

        /// Creates an entry.
        public init(jobID: String, jobName: String, position: Int, outputs: [String: String]) {
            self.jobID = jobID
            self.jobName = jobName
            self.position = position
            self.outputs = outputs
        }
    }

    /// The earlier jobs, in workflow order.
    public var entries: [Entry]

    /// Creates inputs from the earlier jobs' outputs, in workflow order.
    public init(_ entries: [Entry] = []) {
        self.entries = entries
    }

    /// The value of output `name` of the latest earlier job that has one.
    public subscript(name: String) -> String? {
        for entry in entries.reversed() {
            if let value = entry.outputs[name] { return value }
        }
        return nil
    }

    /// The outputs of the earlier job named `jobName`; empty if there is none.
    public func outputs(ofJob jobName: String) -> [String: String] {
        entries.last { $0.jobName == jobName }?.outputs ?? [:]
    }
}
