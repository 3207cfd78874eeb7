/// What a caller may do. A caller holds one or more roles; what they allow adds up.
///
/// | role | may |
/// | --- | --- |
/// | `admin` | everything, including starting a workflow for another user |
/// | `operator` | start, retry and cancel any workflow; read everything |
/// | `user` | start workflows; see, retry and cancel only its own |
/// | `viewer` | read everything; change nothing |
/// | `worker:<queue>` | serve that queue's jobs as a worker; nothing else |
package enum Role: Hashable, Sendable, CustomStringConvertible {
    case admin
    case `operator`
    case user
    case viewer
    /// Serves the jobs of one named queue.
    case worker(queue: String)

    /// Parses a role's name: `admin`, `operator`, `user`, `viewer` or `worker:<queue>`; nil for
    /// anything else (a worker role without a queue included).
    package init?(_ name: some StringProtocol) {
        switch name {
        case "admin": self = .admin
        case "operator": self = .operator
        case "user": self = .user
        case "viewer": self = .viewer
        default:
            guard name.hasPrefix("worker:") else { return nil }
            let queue = name.dropFirst("worker:".count)
            guard !queue.isEmpty, !queue.contains(where: \.isWhitespace) else { return nil }
            self = .worker(queue: String(queue))
        }
    }

    /// The role's name as ``init(_:)`` reads it.
    package var description: String {
        switch self {
        case .admin: "admin"
        case .operator: "operator"
        case .user: "user"
        case .viewer: "viewer"
        case .worker(let queue): "worker:\(queue)"
        }
    }

    /// Parses a comma-separated list of role names (`user,viewer`); throws naming the first
    /// unknown one.
    package static func parseList(_ text: some StringProtocol) throws(UnknownRole) -> Set<Role> {
        var roles: Set<Role> = []
        for name in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let role = Role(name) else { throw UnknownRole(name: String(name)) }
            roles.insert(role)
        }
        return roles
    }
}

/// A role name that is none of ``Role``'s.
package struct UnknownRole: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name as it was written.
    package let name: String

    package var description: String {
        "unknown role '\(name)' (admin, operator, user, viewer or worker:<queue>)"
    }
}
