/// Who made a request, and what its roles let it do.
///
/// Every question the services ask before they act is a property or method here, so what each
/// role may do is decided in one place:
///
/// ```swift
/// guard caller.mayStart else { throw RPCStatus(code: .permissionDenied, ...) }
/// let owner = caller.mayActForOthers && !request.userID.isEmpty ? request.userID : caller.subject
/// ```
package struct Caller: Sendable, Hashable {
    /// The caller's identity: a token's subject or a client certificate's; empty for an
    /// anonymous caller.
    package let subject: String
    /// What the caller may do.
    package let roles: Set<Role>
    /// False when authentication is off (`--auth off`): the caller holds every power and
    /// requests name their own `user_id`, as before there were identities.
    package let isAuthenticated: Bool
    /// Read from `roles` once: every call asks.
    private let isAdmin: Bool
    private let isOperator: Bool
    private let isUser: Bool
    private let isViewer: Bool
    /// Whether the caller holds a worker role (for any queue).
    package let isWorker: Bool

    /// An authenticated caller.
    package init(subject: String, roles: Set<Role>) {
        self.init(subject: subject, roles: roles, isAuthenticated: true)
    }

    private init(subject: String, roles: Set<Role>, isAuthenticated: Bool) {
        self.subject = subject
        self.roles = roles
        self.isAuthenticated = isAuthenticated
        self.isAdmin = roles.contains(.admin)
        self.isOperator = roles.contains(.operator)
        self.isUser = roles.contains(.user)
        self.isViewer = roles.contains(.viewer)
        self.isWorker = roles.contains { if case .worker = $0 { true } else { false } }
    }

    /// The caller of a server without authentication: every power; its subject is the client
    /// certificate's identity if it presented one that makes an acceptable subject (for the
    /// audit trail), else empty.
    package static func unauthenticated(certificateIdentity: String?) -> Caller {
        guard let certificateIdentity, Subject.isAcceptable(certificateIdentity) else { return anonymous }
        return Caller(subject: certificateIdentity, roles: [.admin], isAuthenticated: false)
    }

    /// The caller of a server without authentication that knows no identity: made once, as
    /// every call of such a server asks for it.
    private static let anonymous = Caller(subject: "", roles: [.admin], isAuthenticated: false)

    /// Whether the caller reads every workflow (admin, operator, viewer) rather than only its own.
    package var seesEveryWorkflow: Bool { isAdmin || isOperator || isViewer }

    /// Whether the caller may read workflows, their steps, events, files and assets at all.
    package var mayRead: Bool { seesEveryWorkflow || isUser }

    /// Whether the caller may start workflows and upload their input files.
    package var mayStart: Bool { isAdmin || isOperator || isUser }

    /// Whether the caller may start a workflow for another user (name its `user_id`).
    package var mayActForOthers: Bool { isAdmin }

    /// Whether the caller may retry or cancel workflows: any (admin, operator) or its own (user).
    package var mayControl: Bool { mayStart }

    /// The one user whose workflows the caller may see, or nil when it sees all of them.
    package var visibleOwner: String? { seesEveryWorkflow ? nil : subject }

    /// Whether the caller may see a workflow that `ownerID` started.
    package func sees(ownerID: String) -> Bool {
        seesEveryWorkflow || (isUser && ownerID == subject)
    }

    /// Whether the caller may retry or cancel a workflow that `ownerID` started.
    package func controls(ownerID: String) -> Bool {
        isAdmin || isOperator || (isUser && ownerID == subject)
    }

    /// Whether the caller may serve `queue`'s jobs as a worker.
    package func mayServe(queue: String) -> Bool {
        isAdmin || roles.contains(.worker(queue: queue))
    }

    /// Whether the caller may download any workflow's artifacts: those who see every workflow,
    /// and workers (whose jobs read what earlier jobs made) unless they are also a `user`,
    /// who sees only its own.
    package var readsEveryArtifact: Bool {
        seesEveryWorkflow || (isWorker && !isUser)
    }

    /// Whether the caller may list the connected workers.
    package var mayListWorkers: Bool { seesEveryWorkflow }

    /// The roles' names, sorted: for answers and logs.
    package var roleNames: [String] { roles.map(\.description).sorted() }
}
