internal import CWorkflowProtos

extension WorkflowV1 {
    /// The lifecycle state of a workflow (`workflow.v1.WorkflowStatus`).
    ///
    /// A struct wrapping the wire value rather than a Swift enum: a value this build does not
    /// know (sent by a newer peer) decodes, compares and re-encodes unchanged. Switch over the
    /// known constants with a `default:` branch.
    public struct WorkflowStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The value on the wire.
        public var rawValue: Int32

        /// Wraps any wire value, known to this build or not.
        ///
        /// - Parameter rawValue: The value on the wire.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// `WORKFLOW_STATUS_UNSPECIFIED` (0): Not set: what a peer sends when it does not know the field.
        public static let unspecified = WorkflowStatus(rawValue: 0)

        /// `WORKFLOW_STATUS_RUNNING` (1): Started; its jobs are running or waiting to run.
        public static let running = WorkflowStatus(rawValue: 1)

        /// `WORKFLOW_STATUS_COMPLETED` (2): Every job completed.
        public static let completed = WorkflowStatus(rawValue: 2)

        /// `WORKFLOW_STATUS_FAILED` (3): A job failed, which ended the workflow.
        public static let failed = WorkflowStatus(rawValue: 3)

        /// `WORKFLOW_STATUS_CANCELLED` (4): Cancelled before it finished.
        public static let cancelled = WorkflowStatus(rawValue: 4)

        /// The proto name, e.g. `"WORKFLOW_STATUS_RUNNING"`, or the bare number for a value this
        /// build does not know.
        public var description: String {
            switch rawValue {
            case 0: "WORKFLOW_STATUS_UNSPECIFIED"
            case 1: "WORKFLOW_STATUS_RUNNING"
            case 2: "WORKFLOW_STATUS_COMPLETED"
            case 3: "WORKFLOW_STATUS_FAILED"
            case 4: "WORKFLOW_STATUS_CANCELLED"
            default: String(rawValue)
            }
        }
    }
}

extension WorkflowV1.WorkflowStatus {
    /// Wraps a protoc-c field value; protoc-c stores unknown values unchanged.
    init(_ value: Workflow__V1__WorkflowStatus) {
        self.init(rawValue: Int32(bitPattern: value.rawValue))
    }

    /// The protoc-c field value.
    var cValue: Workflow__V1__WorkflowStatus {
        Workflow__V1__WorkflowStatus(rawValue: UInt32(bitPattern: rawValue))
    }
}

extension WorkflowV1.WorkflowStatus {
    /// Copies a repeated enum field (`n_*` and a C enum array); unknown values are kept.
    static func copy(_ values: UnsafeMutablePointer<Workflow__V1__WorkflowStatus>?, count: Int) -> [Self] {
        guard let values, count > 0 else { return [] }
        return UnsafeBufferPointer(start: values, count: count).map { Self($0) }
    }
}

extension PackArena {
    /// A C enum array for a repeated `WorkflowStatus` field; NULL when empty.
    mutating func workflowStatuses(
        _ values: [WorkflowV1.WorkflowStatus]
    ) -> UnsafeMutablePointer<Workflow__V1__WorkflowStatus>? {
        guard !values.isEmpty else { return nil }
        let array = allocate(Workflow__V1__WorkflowStatus.self, count: values.count)
        for (index, value) in values.enumerated() {
            (array + index).initialize(to: value.cValue)
        }
        return array
    }
}
