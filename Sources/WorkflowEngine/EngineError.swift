/// An error the engine answers a caller with: a ``Code`` saying what kind of problem it is and
/// a human-readable ``message``.
///
/// The codes map onto gRPC status codes by the service: ``Code/invalidArgument`` and
/// ``Code/unknownWorkflowType`` to `INVALID_ARGUMENT`, ``Code/workflowNotFound`` to `NOT_FOUND`,
/// ``Code/failedPrecondition`` to `FAILED_PRECONDITION`, ``Code/alreadyExists`` to
/// `ALREADY_EXISTS`, ``Code/shuttingDown`` and ``Code/unavailable`` to `UNAVAILABLE`.
///
/// ```swift
/// do {
///     _ = try engine.start(WorkflowRequest(type: "NOPE"))
/// } catch {
///     print(error.code, error.message)  // unknownWorkflowType, unknown workflow type "NOPE"; …
/// }
/// ```
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem the error reports.
    public var code: Code
    /// A human-readable explanation, suitable for a status message.
    public var message: String
    /// The request field the error is about, such as `params.jobs`, `type` or `progress`.
    public var field: String?
    /// For ``Code/unknownWorkflowType``: the registered types, sorted.
    public var knownTypes: [String]

    /// Creates an error; prefer the static factories.
    public init(code: Code, message: String, field: String? = nil, knownTypes: [String] = []) {
        self.code = code
        self.message = message
        self.field = field
        self.knownTypes = knownTypes
    }

    /// A request field has a value the engine cannot accept.
    ///
    /// - Parameters:
    ///   - field: The offending field, e.g. `params.jobs` or `progress`.
    ///   - reason: Why the value is refused, e.g. "must be an integer from 1 to 100, got \"0\"".
    public static func invalidArgument(field: String, reason: String) -> EngineError {
        EngineError(code: .invalidArgument, message: "\(field): \(reason)", field: field)
    }

    /// No template is registered for the requested workflow type.
    ///
    /// - Parameters:
    ///   - type: The requested type.
    ///   - known: The registered types, sorted.
    public static func unknownWorkflowType(_ type: String, known: [String]) -> EngineError {
        let list = known.isEmpty ? "none" : known.joined(separator: ", ")
        return EngineError(
            code: .unknownWorkflowType,
            message: "unknown workflow type \"\(type)\"; known types: \(list)",
            field: "type",
            knownTypes: known
        )
    }

    /// No workflow with the given id exists (or it is no longer retained).
    ///
    /// - Parameter id: The requested workflow id.
    public static func workflowNotFound(_ id: String) -> EngineError {
        EngineError(code: .workflowNotFound, message: "no workflow with id \"\(id)\"", field: "workflow_id")
    }

    /// The request id was already used, for a different request, by workflow `existingID`.
    public static func requestIDReused(_ requestID: String, existingID: String) -> EngineError {
        EngineError(
            code: .alreadyExists,
            message: "request_id \"\(requestID)\" already started workflow \(existingID) with a different request",
            field: "request_id"
        )
    }

    /// The workflow's state does not allow the operation.
    ///
    /// - Parameter reason: What is wrong, e.g. "workflow wf-1 is COMPLETED; only a RUNNING workflow can be cancelled".
    public static func failedPrecondition(_ reason: String) -> EngineError {
        EngineError(code: .failedPrecondition, message: reason, field: "workflow_id")
    }

    /// The store could not be read: `what` was being read, `error` what the store threw.
    public static func storeUnavailable(_ what: String, _ error: any Error) -> EngineError {
        EngineError(code: .unavailable, message: "\(what) cannot be read from the store: \(error)")
    }

    /// The engine is shutting down and starts no more workflows.
    public static let shuttingDown = EngineError(
        code: .shuttingDown, message: "the server is shutting down and starts no more workflows"
    )

    /// The ``message``.
    public var description: String { message }
}
