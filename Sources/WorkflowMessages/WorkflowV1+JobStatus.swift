internal import CWorkflowProtos

extension WorkflowV1 {
    /// The lifecycle state of a job, a phase of a workflow (`workflow.v1.JobStatus`).
    ///
    /// A struct wrapping the wire value rather than a Swift enum: a value this build does not
    /// know (sent by a newer peer) decodes, compares and re-encodes unchanged. Switch over the
    /// known constants with a `default:` branch.
    public struct JobStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The value on the wire.
        public var rawValue: Int32

        /// Wraps any wire value, known to this build or not.
        ///
        /// - Parameter rawValue: The value on the wire.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// `JOB_STATUS_UNSPECIFIED` (0): Not set: what a peer sends when it does not know the field.
        public static let unspecified = JobStatus(rawValue: 0)

        /// `JOB_STATUS_PENDING` (1): Waiting for the jobs before it.
        public static let pending = JobStatus(rawValue: 1)

        /// `JOB_STATUS_RUNNING` (2): Running now.
        public static let running = JobStatus(rawValue: 2)

        /// `JOB_STATUS_COMPLETED` (3): Finished successfully.
        public static let completed = JobStatus(rawValue: 3)

        /// `JOB_STATUS_FAILED` (4): Finished with an error, which fails the workflow.
        public static let failed = JobStatus(rawValue: 4)

        /// `JOB_STATUS_CANCELLED` (5): Stopped or never started because the workflow was cancelled.
        public static let cancelled = JobStatus(rawValue: 5)

        /// The proto name, e.g. `"JOB_STATUS_PENDING"`, or the bare number for a value this
        /// build does not know.
        public var description: String {
            switch rawValue {
            case 0: "JOB_STATUS_UNSPECIFIED"
            case 1: "JOB_STATUS_PENDING"
            case 2: "JOB_STATUS_RUNNING"
            case 3: "JOB_STATUS_COMPLETED"
            case 4: "JOB_STATUS_FAILED"
            case 5: "JOB_STATUS_CANCELLED"
            default: String(rawValue)
            }
        }
    }
}

extension WorkflowV1.JobStatus {
    /// Wraps a protoc-c field value; protoc-c stores unknown values unchanged.
    init(_ value: Workflow__V1__JobStatus) {
        self.init(rawValue: Int32(bitPattern: value.rawValue))
    }

    /// The protoc-c field value.
    var cValue: Workflow__V1__JobStatus {
        Workflow__V1__JobStatus(rawValue: UInt32(bitPattern: rawValue))
    }
}
