extension EngineError {
    /// The kind of an ``EngineError``. New codes may be added; switch with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: Sendable, Hashable {
            case invalidArgument
            case unknownWorkflowType
            case workflowNotFound
            case shuttingDown
            case failedPrecondition
            case alreadyExists
            case outOfRange
            case unavailable
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// A request field (a parameter, the progress value, a page size or token) is invalid.
        /// ``EngineError/field`` names it. Maps to `INVALID_ARGUMENT`.
        public static let invalidArgument = Code(.invalidArgument)

        /// The requested workflow type is not registered; ``EngineError/knownTypes`` lists the
        /// registered ones. Maps to `INVALID_ARGUMENT`.
        public static let unknownWorkflowType = Code(.unknownWorkflowType)

        /// The requested workflow does not exist or is no longer retained. Maps to `NOT_FOUND`.
        public static let workflowNotFound = Code(.workflowNotFound)

        /// The engine is shutting down and starts no more workflows. Maps to `UNAVAILABLE`.
        public static let shuttingDown = Code(.shuttingDown)

        /// What was asked is in the store, which could not be read (a disk error). Maps to
        /// `UNAVAILABLE`: the caller may try again.
        public static let unavailable = Code(.unavailable)

        /// The workflow is not in a state that allows the operation (cancelling a finished
        /// workflow, retrying one that did not fail). Maps to `FAILED_PRECONDITION`.
        public static let failedPrecondition = Code(.failedPrecondition)

        /// The request id already started a different request; the message names the workflow
        /// it started. Maps to `ALREADY_EXISTS`.
        public static let alreadyExists = Code(.alreadyExists)

        /// A numbered message came after a gap: a worker's report whose sequence skips one the
        /// engine has not received. Maps to `OUT_OF_RANGE`.
        public static let outOfRange = Code(.outOfRange)

        /// The name of the code, e.g. `invalidArgument`.
        public var description: String {
            switch wrapped {
            case .invalidArgument: "invalidArgument"
            case .unknownWorkflowType: "unknownWorkflowType"
            case .workflowNotFound: "workflowNotFound"
            case .shuttingDown: "shuttingDown"
            case .failedPrecondition: "failedPrecondition"
            case .alreadyExists: "alreadyExists"
            case .outOfRange: "outOfRange"
            case .unavailable: "unavailable"
            }
        }
    }
}
