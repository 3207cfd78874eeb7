import WorkflowModel

/// How many retained workflows of each type are in each state, kept up to date as workflows
/// start, change state and are forgotten, so counting them for a console costs nothing per
/// workflow.
///
/// Keyed by type and status together, so a change looks up one entry and changes it in place:
/// a dictionary of dictionaries cost three allocations per change (the nested accessors' frames).
struct WorkflowStatusTally {
    private struct Key: Hashable {
        let type: String
        let status: WorkflowStatus
    }

    private var counts: [Key: Int] = [:]

    /// Counts a workflow that is now retained.
    mutating func add(type: String, status: WorkflowStatus) {
        counts[Key(type: type, status: status), default: 0] += 1
    }

    /// Stops counting a workflow that is no longer retained.
    mutating func remove(type: String, status: WorkflowStatus) {
        guard let index = counts.index(forKey: Key(type: type, status: status)) else {
            assertionFailure("no \(status) \(type) workflow was counted")
            return
        }
        if counts.values[index] > 1 {
            counts.values[index] -= 1
        } else {
            counts.remove(at: index)
        }
    }

    /// The counts of workflows of `type` (nil: every type), by type then status.
    func counts(ofType type: String?) -> [WorkflowCount] {
        let types = type.map { [$0] } ?? Set(counts.keys.map(\.type)).sorted()
        return types.flatMap { type in
            WorkflowStatus.allCases.compactMap { status in
                counts[Key(type: type, status: status)].map { WorkflowCount(type: type, status: status, count: $0) }
            }
        }
    }
}
