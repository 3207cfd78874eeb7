import AccessControl

/// What a method needs of its caller before it runs at all. Which workflows the caller may
/// touch is checked inside the method (``Caller/sees(ownerID:)``, ``Caller/controls(ownerID:)``).
enum Permission: Sendable {
    /// Read workflows, steps, events, files and assets: admin, operator, user, viewer.
    case read
    /// Download uploads and artifacts: those who read, and workers.
    case readFiles
    /// Start workflows and upload their files: admin, operator, user.
    case start
    /// Retry or cancel workflows: admin, operator, user (its own).
    case control
    /// List the connected workers: admin, operator, viewer.
    case listWorkers
    /// Connect as a worker: admin or a worker role (each queue is checked at the hello).
    case serveQueues
    /// Any authenticated caller, whatever its roles.
    case authenticated

    func allows(_ caller: Caller) -> Bool {
        switch self {
        case .read: caller.mayRead
        case .readFiles: caller.mayRead || caller.isWorker
        case .start: caller.mayStart
        case .control: caller.mayControl
        case .listWorkers: caller.mayListWorkers
        case .serveQueues: caller.roles.contains(.admin) || caller.isWorker
        case .authenticated: true
        }
    }

    /// What the caller was refused, for the PERMISSION_DENIED message.
    var action: String {
        switch self {
        case .read: "read workflows"
        case .readFiles: "download files"
        case .start: "start workflows or upload files"
        case .control: "retry or cancel workflows"
        case .listWorkers: "list workers"
        case .serveQueues: "serve jobs as a worker"
        case .authenticated: "call this method"
        }
    }

    /// The roles that would allow it.
    var roles: String {
        switch self {
        case .read: "admin, operator, user or viewer"
        case .readFiles: "admin, operator, user, viewer or worker:<queue>"
        case .start, .control: "admin, operator or user"
        case .listWorkers: "admin, operator or viewer"
        case .serveQueues: "admin or worker:<queue>"
        case .authenticated: "any role"
        }
    }
}
