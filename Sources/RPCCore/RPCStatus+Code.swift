extension RPCStatus {
    /// One of the 17 gRPC status codes.
    ///
    /// A struct rather than an enum so that codes can be added without breaking exhaustive
    /// `switch` statements in callers. Compare with `==` or match with `case .notFound:`
    /// followed by a `default:` branch.
    ///
    /// The numeric values and their meaning are fixed by gRPC's `statuscodes.md`; the
    /// ``description`` is the canonical upper-case name (`NOT_FOUND`).
    package struct Code: Hashable, Sendable {
        @usableFromInline
        enum Wrapped: UInt8, Hashable, Sendable {
            case ok = 0
            case cancelled = 1
            case unknown = 2
            case invalidArgument = 3
            case deadlineExceeded = 4
            case notFound = 5
            case alreadyExists = 6
            case permissionDenied = 7
            case resourceExhausted = 8
            case failedPrecondition = 9
            case aborted = 10
            case outOfRange = 11
            case unimplemented = 12
            case internalError = 13
            case unavailable = 14
            case dataLoss = 15
            case unauthenticated = 16
        }

        @usableFromInline
        let wrapped: Wrapped

        @inlinable
        init(_ wrapped: Wrapped) {
            self.wrapped = wrapped
        }

        /// The numeric value sent in the `grpc-status` trailer (0...16).
        @inlinable
        package var rawValue: Int { Int(wrapped.rawValue) }

        /// Creates a code from its numeric value.
        ///
        /// - Parameter rawValue: The value of a `grpc-status` trailer.
        /// - Returns: `nil` if `rawValue` is not one of the 17 defined codes.
        @inlinable
        package init?(rawValue: Int) {
            guard let byte = UInt8(exactly: rawValue), let wrapped = Wrapped(rawValue: byte) else {
                return nil
            }
            self.wrapped = wrapped
        }

        /// All 17 codes in numeric order.
        package static let allCodes: [Code] = (0...16).map { Code(rawValue: $0)! }
    }
}

extension RPCStatus.Code {
    /// Not an error: the call succeeded.
    package static let ok = Self(.ok)

    /// The call was cancelled, typically by the caller.
    ///
    /// Servers see this when a client resets the stream; a client reports it when it
    /// cancelled the call itself.
    package static let cancelled = Self(.cancelled)

    /// An error that fits no other code, or whose details were lost.
    ///
    /// Used for errors from another error space and for errors raised without enough
    /// information to classify them (an unexpected thrown error in a handler, say).
    package static let unknown = Self(.unknown)

    /// The client sent an argument that is wrong whatever the state of the system.
    ///
    /// For example a malformed name or an unparsable request message. Prefer
    /// ``failedPrecondition`` when the argument would be fine in another system state.
    package static let invalidArgument = Self(.invalidArgument)

    /// The deadline passed before the operation completed.
    ///
    /// For operations that change state this can be returned even when the change happened:
    /// the reply may simply have come too late.
    package static let deadlineExceeded = Self(.deadlineExceeded)

    /// A requested entity (a workflow, a job, a file) does not exist.
    ///
    /// Also usable when the server hides an entity from a class of users rather than
    /// answering ``permissionDenied``.
    package static let notFound = Self(.notFound)

    /// The entity the client tried to create already exists.
    package static let alreadyExists = Self(.alreadyExists)

    /// The caller is known but may not perform this operation.
    ///
    /// Use ``unauthenticated`` when the caller could not be identified and
    /// ``resourceExhausted`` when a quota ran out.
    package static let permissionDenied = Self(.permissionDenied)

    /// A resource ran out: a quota, memory, disk, or a size limit.
    ///
    /// Servers answer this for a request message larger than their receive limit.
    package static let resourceExhausted = Self(.resourceExhausted)

    /// The system is not in a state that allows the operation.
    ///
    /// For example cancelling a workflow that already finished. The client should not retry
    /// until the state was fixed. Use ``aborted`` for conflicts worth retrying at a higher
    /// level, and ``unavailable`` when retrying the same call may succeed.
    package static let failedPrecondition = Self(.failedPrecondition)

    /// The operation was aborted by a concurrency conflict, such as a failed transaction or
    /// a sequencer check; the client may retry the whole read-modify-write sequence.
    package static let aborted = Self(.aborted)

    /// The operation went past a valid range, such as reading past the end of a log.
    ///
    /// Unlike ``invalidArgument`` the request might be valid in another state; clients
    /// iterating over a space can stop when they see it.
    package static let outOfRange = Self(.outOfRange)

    /// The operation is not implemented, supported or enabled here.
    ///
    /// Servers answer this for an unknown service or method, a malformed method path, and
    /// an unsupported `grpc-encoding`.
    package static let unimplemented = Self(.unimplemented)

    /// An invariant the system relies on is broken.
    ///
    /// Servers answer this for protocol violations such as an invalid `grpc-timeout`, a
    /// compressed message without an encoding, or a stream that ends mid-message. Its
    /// canonical name is `INTERNAL`.
    package static let internalError = Self(.internalError)

    /// The service is unavailable right now, for example while it shuts down; retrying
    /// with backoff may succeed.
    package static let unavailable = Self(.unavailable)

    /// Unrecoverable data loss or corruption.
    package static let dataLoss = Self(.dataLoss)

    /// The request carries no valid credentials for the operation.
    package static let unauthenticated = Self(.unauthenticated)
}

extension RPCStatus.Code: CustomStringConvertible {
    /// The canonical upper-case name of the code, such as `NOT_FOUND` or `INTERNAL`.
    package var description: String {
        switch wrapped {
        case .ok: "OK"
        case .cancelled: "CANCELLED"
        case .unknown: "UNKNOWN"
        case .invalidArgument: "INVALID_ARGUMENT"
        case .deadlineExceeded: "DEADLINE_EXCEEDED"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .permissionDenied: "PERMISSION_DENIED"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        case .failedPrecondition: "FAILED_PRECONDITION"
        case .aborted: "ABORTED"
        case .outOfRange: "OUT_OF_RANGE"
        case .unimplemented: "UNIMPLEMENTED"
        case .internalError: "INTERNAL"
        case .unavailable: "UNAVAILABLE"
        case .dataLoss: "DATA_LOSS"
        case .unauthenticated: "UNAUTHENTICATED"
        }
    }
}
