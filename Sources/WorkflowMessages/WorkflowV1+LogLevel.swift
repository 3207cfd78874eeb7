internal import CWorkflowProtos

extension WorkflowV1 {
    /// The severity of a step or event, in increasing order (`workflow.v1.LogLevel`).
    ///
    /// A struct wrapping the wire value rather than a Swift enum: a value this build does not
    /// know (sent by a newer peer) decodes, compares and re-encodes unchanged. Switch over the
    /// known constants with a `default:` branch.
    public struct LogLevel: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Comparable {
        /// The value on the wire.
        public var rawValue: Int32

        /// Wraps any wire value, known to this build or not.
        ///
        /// - Parameter rawValue: The value on the wire.
        public init(rawValue: Int32) {
            self.rawValue = rawValue
        }

        /// `LOG_LEVEL_UNSPECIFIED` (0): Not set; as a `WatchLogsRequest.minLevel` it sends every level.
        public static let unspecified = LogLevel(rawValue: 0)

        /// `LOG_LEVEL_DEBUG` (1): Detail for diagnosing the engine.
        public static let debug = LogLevel(rawValue: 1)

        /// `LOG_LEVEL_INFO` (2): Normal progress.
        public static let info = LogLevel(rawValue: 2)

        /// `LOG_LEVEL_WARN` (3): Something unexpected that did not stop the job.
        public static let warn = LogLevel(rawValue: 3)

        /// `LOG_LEVEL_ERROR` (4): A failure.
        public static let error = LogLevel(rawValue: 4)

        /// The proto name, e.g. `"LOG_LEVEL_DEBUG"`, or the bare number for a value this
        /// build does not know.
        public var description: String {
            switch rawValue {
            case 0: "LOG_LEVEL_UNSPECIFIED"
            case 1: "LOG_LEVEL_DEBUG"
            case 2: "LOG_LEVEL_INFO"
            case 3: "LOG_LEVEL_WARN"
            case 4: "LOG_LEVEL_ERROR"
            default: String(rawValue)
            }
        }

        /// Orders levels by severity (their wire values).
        public static func < (lhs: Self, rhs: Self) -> Bool {
            lhs.rawValue < rhs.rawValue
        }
    }
}

extension WorkflowV1.LogLevel {
    /// Wraps a protoc-c field value; protoc-c stores unknown values unchanged.
    init(_ value: Workflow__V1__LogLevel) {
        self.init(rawValue: Int32(bitPattern: value.rawValue))
    }

    /// The protoc-c field value.
    var cValue: Workflow__V1__LogLevel {
        Workflow__V1__LogLevel(rawValue: UInt32(bitPattern: rawValue))
    }
}
