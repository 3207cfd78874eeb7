import WorkflowModel

/// How many retained workflows of each type are in each state, kept up to date as workflows
/// start, change state and are forgotten, so counting them for a console costs nothing per
/// workflow.
struct WorkflowStatusTally {
    private var counts: [String: [WorkflowStatus: Int]] = [:]

    /// Counts a workflow that is now retained.
    mutating func add(type: String, status: WorkflowStatus) {
        counts[type, default: [:]][status, default: 0] += 1
    }

    /// Stops counting a workflow that is no longer retained.
    mutating func remove(type: String, status: WorkflowStatus) {
        guard let count = counts[type]?[status] else {
            assertionFailure("no \(status) \(type) workflow was counted")
            return
        }
        counts[type]?[status] = count > 1 ? count - 1 : nil
        if counts[type]?.isEmpty == true {
            counts[type] = nil
        }
    }

    /// The counts of workflows of `type` (nil: every type), by type then status.
    func counts(ofType type: String?) -> [WorkflowCount] {
        let types = type.map { [$0] } ?? counts.keys.sorted()
        return types.flatMap { type in
            WorkflowStatus.allCases.compactMap { status in
                counts[type]?[status].map { WorkflowCount(type: type, status: status, count: $0) }
            }
        }
    }
}
