import WorkflowModel

// The records' lifecycle: every retained workflow comes and goes, and changes status, through
// these, so the status tally stays exact.
extension WorkflowEngine {
    /// Starts retaining `record`.
    func retain(_ record: WorkflowRecord) {
        if let replaced = records.updateValue(record, forKey: record.workflow.id) {
            statusTally.remove(type: replaced.workflow.type, status: replaced.workflow.status)
            replaced.markForgotten()
        }
        statusTally.add(type: record.workflow.type, status: record.workflow.status)
    }

    /// Stops retaining the workflow `id`.
    /// - Returns: Its record; nil if it was not retained.
    func forget(_ id: String) -> WorkflowRecord? {
        guard let record = records.removeValue(forKey: id) else { return nil }
        statusTally.remove(type: record.workflow.type, status: record.workflow.status)
        record.markForgotten()
        return record
    }

    /// Changes the status of a retained workflow.
    func setStatus(_ status: WorkflowStatus, of record: WorkflowRecord) {
        statusTally.remove(type: record.workflow.type, status: record.workflow.status)
        record.workflow.status = status
        statusTally.add(type: record.workflow.type, status: status)
    }
}
