internal import CWorkflowProtos

extension WorkflowV1 {
    /// What a log event reports (`workflow.v1.LogEventKind`).
    ///
    /// A struct wrapping the wire value rather than a Swift enum: a value this build does not
    /// know (sent by a newer peer) decodes, compares and re-encodes unchanged. Switch over the
    /// known constants with a `default:` branch.
    public struct LogEventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The value on the wire.
        public var rawValue: Int32

        /// Wraps any wire value, known to this build or not.
        ///
        /// - Parameter rawValue: The value on the wire.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// `LOG_EVENT_KIND_UNSPECIFIED` (0): Not set: what a peer sends when it does not know the field.
        public static let unspecified = LogEventKind(rawValue: 0)

        /// `LOG_EVENT_KIND_WORKFLOW_STARTED` (1): A workflow started running.
        public static let workflowStarted = LogEventKind(rawValue: 1)

        /// `LOG_EVENT_KIND_WORKFLOW_COMPLETED` (2): A workflow completed; its final event.
        public static let workflowCompleted = LogEventKind(rawValue: 2)

        /// `LOG_EVENT_KIND_WORKFLOW_FAILED` (3): A workflow failed; its final event.
        public static let workflowFailed = LogEventKind(rawValue: 3)

        /// `LOG_EVENT_KIND_WORKFLOW_CANCELLED` (4): A workflow was cancelled; its final event.
        public static let workflowCancelled = LogEventKind(rawValue: 4)

        /// `LOG_EVENT_KIND_JOB_STARTED` (5): A job started running.
        public static let jobStarted = LogEventKind(rawValue: 5)

        /// `LOG_EVENT_KIND_JOB_COMPLETED` (6): A job completed.
        public static let jobCompleted = LogEventKind(rawValue: 6)

        /// `LOG_EVENT_KIND_JOB_FAILED` (7): A job failed.
        public static let jobFailed = LogEventKind(rawValue: 7)

        /// `LOG_EVENT_KIND_JOB_CANCELLED` (8): A job was cancelled.
        public static let jobCancelled = LogEventKind(rawValue: 8)

        /// `LOG_EVENT_KIND_STEP_LOGGED` (9): A job recorded a step; the event carries it in `step`.
        public static let stepLogged = LogEventKind(rawValue: 9)

        /// `LOG_EVENT_KIND_PROGRESS_UPDATED` (10): A job's progress changed; see `progress` and `progressMessage`.
        public static let progressUpdated = LogEventKind(rawValue: 10)

        /// `LOG_EVENT_KIND_FAILURE_NOTICE` (11): A summary such as
        /// "IMPORT_ASSETS failed at Process Data: <error>", sent the moment a job fails.
        public static let failureNotice = LogEventKind(rawValue: 11)

        /// `LOG_EVENT_KIND_GAP` (12): The watcher fell behind the retained log: events
        /// `gapFromSequence` through `gapToSequence` are gone (pruned before it read them). The
        /// stream continues after the gap.
        public static let gap = LogEventKind(rawValue: 12)

        /// `LOG_EVENT_KIND_WORKFLOW_RETRIED` (13): A failed workflow was retried; it is running again
        /// from `jobName`.
        public static let workflowRetried = LogEventKind(rawValue: 13)

        /// The proto name, e.g. `"LOG_EVENT_KIND_WORKFLOW_STARTED"`, or the bare number for a value this
        /// build does not know.
        public var description: String {
            switch rawValue {
            case 0: "LOG_EVENT_KIND_UNSPECIFIED"
            case 1: "LOG_EVENT_KIND_WORKFLOW_STARTED"
            case 2: "LOG_EVENT_KIND_WORKFLOW_COMPLETED"
            case 3: "LOG_EVENT_KIND_WORKFLOW_FAILED"
            case 4: "LOG_EVENT_KIND_WORKFLOW_CANCELLED"
            case 5: "LOG_EVENT_KIND_JOB_STARTED"
            case 6: "LOG_EVENT_KIND_JOB_COMPLETED"
            case 7: "LOG_EVENT_KIND_JOB_FAILED"
            case 8: "LOG_EVENT_KIND_JOB_CANCELLED"
            case 9: "LOG_EVENT_KIND_STEP_LOGGED"
            case 10: "LOG_EVENT_KIND_PROGRESS_UPDATED"
            case 11: "LOG_EVENT_KIND_FAILURE_NOTICE"
            case 12: "LOG_EVENT_KIND_GAP"
            case 13: "LOG_EVENT_KIND_WORKFLOW_RETRIED"
            default: String(rawValue)
            }
        }
    }
}

extension WorkflowV1.LogEventKind {
    /// Wraps a protoc-c field value; protoc-c stores unknown values unchanged.
    init(_ value: Workflow__V1__LogEventKind) {
        self.init(rawValue: Int32(bitPattern: value.rawValue))
    }

    /// The protoc-c field value.
    var cValue: Workflow__V1__LogEventKind {
        Workflow__V1__LogEventKind(rawValue: UInt32(bitPattern: rawValue))
    }
}
