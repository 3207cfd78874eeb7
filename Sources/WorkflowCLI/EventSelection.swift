import WorkflowMessages

/// Which events `watch` prints, beyond what the server filters (workflow, level): kinds, a job
/// name, a workflow type, a user. Empty criteria select everything.
///
/// Filtering here, on the client, works with every server; it does not change where a resumed
/// watch continues, which is always after the last event received.
package struct EventSelection: Hashable, Sendable {
    /// Short kind names (`STEP_LOGGED`, …) to keep; empty keeps every kind.
    package var kinds: Set<String>
    /// Only events of jobs with this name.
    package var jobName: String?
    /// Only events of workflows of this type.
    package var workflowType: String?
    /// Only events of workflows started by this user id.
    package var userID: String?

    /// Creates a selection.
    ///
    /// - Parameters:
    ///   - kinds: Kind names, in any case, with or without the `LOG_EVENT_KIND_` prefix.
    ///   - jobName: A job name.
    ///   - workflowType: A workflow type.
    ///   - userID: A user id.
    package init(kinds: [String] = [], jobName: String? = nil, workflowType: String? = nil, userID: String? = nil) {
        self.kinds = Set(kinds.map { name in
            let upper = name.uppercased()
            return upper.hasPrefix("LOG_EVENT_KIND_") ? String(upper.dropFirst("LOG_EVENT_KIND_".count)) : upper
        })
        self.jobName = jobName
        self.workflowType = workflowType
        self.userID = userID
    }

    /// Whether anything is filtered.
    package var isFiltering: Bool {
        !kinds.isEmpty || jobName != nil || workflowType != nil || userID != nil
    }

    /// Whether `event` is printed.
    ///
    /// - Parameter event: The event.
    /// - Returns: `true` if it meets every criterion.
    package func matches(_ event: WorkflowV1.LogEvent) -> Bool {
        if !kinds.isEmpty, !kinds.contains(event.kind.shortName) { return false }
        if let jobName, event.jobName != jobName { return false }
        if let workflowType, event.workflowType != workflowType { return false }
        if let userID, event.userID != userID { return false }
        return true
    }
}
