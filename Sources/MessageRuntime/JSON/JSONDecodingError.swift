/// Why a JSON document could not be read, or did not describe the expected message.
public struct JSONDecodingError: Error, Hashable, CustomStringConvertible {
    /// Where: a path such as `params.steps` or `jobs[2].name`, or `byte 17` for a syntax error.
    public var location: String
    /// What is wrong, e.g. "expected a string, got a number".
    public var reason: String

    /// Creates an error at `location`.
    public init(location: String, reason: String) {
        self.location = location
        self.reason = reason
    }

    public var description: String {
        location.isEmpty ? reason : "\(location): \(reason)"
    }
}
