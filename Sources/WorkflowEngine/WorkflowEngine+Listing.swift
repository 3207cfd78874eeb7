import WorkflowModel

extension WorkflowEngine {
    /// The retained workflows that match `query`, newest first, one page at a time.
    ///
    /// Page tokens are positions in the creation order, so pages stay stable while new
    /// workflows start: a new workflow appears on the first page, never in the middle.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` for a page size out of range, a malformed
    ///   page token or an empty time range.
    public func list(_ query: WorkflowQuery) throws(EngineError) -> WorkflowPage {
        guard (1...WorkflowQuery.maxPageSize).contains(query.pageSize) else {
            throw .invalidArgument(field: "page_size", reason: "must be from 1 to \(WorkflowQuery.maxPageSize), got \(query.pageSize)")
        }
        if let after = query.createdAfterMs, let before = query.createdBeforeMs, after >= before {
            throw .invalidArgument(field: "created_before_ms", reason: "must be later than created_after_ms")
        }
        // Ids sort by creation time, so the newest come last.
        let order = creationOrder.records(ofType: query.type)
        var end = order.count
        if let token = query.pageToken {
            guard WorkflowIDGenerator.isWellFormed(token) else {
                throw .invalidArgument(field: "page_token", reason: "is not a token from a previous ListWorkflows page")
            }
            end = CreationOrder.firstIndex(in: order, notBelow: token)
        }
        var page: [Workflow] = []
        var index = end
        while index > 0 {
            index -= 1
            let record = order[index]
            guard !record.isForgotten, query.matches(record) else { continue }
            if page.count == query.pageSize {
                return WorkflowPage(workflows: page, nextPageToken: page.last?.id)
            }
            page.append(record.workflow)
        }
        return WorkflowPage(workflows: page, nextPageToken: nil)
    }

    /// How many retained workflows match `query`, per type and status, by type then status.
    /// The query's statuses, page size and page token are ignored: every status is counted.
    ///
    /// Without a user, text or time filter the counts are kept as workflows change and cost
    /// nothing per workflow; with one, every retained workflow is looked at.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` for an empty time range.
    public func count(_ query: WorkflowQuery) throws(EngineError) -> [WorkflowCount] {
        if let after = query.createdAfterMs, let before = query.createdBeforeMs, after >= before {
            throw .invalidArgument(field: "created_before_ms", reason: "must be later than created_after_ms")
        }
        if query.userID == nil, query.summaryContains == nil, query.createdAfterMs == nil, query.createdBeforeMs == nil {
            return statusTally.counts(ofType: query.type)
        }
        return countByLooking(query)
    }

    /// ``count(_:)`` by looking at every retained workflow.
    func countByLooking(_ query: WorkflowQuery) -> [WorkflowCount] {
        var everyStatus = query
        everyStatus.statuses = []
        var counts: [String: [WorkflowStatus: Int]] = [:]
        for record in records.values where everyStatus.matches(record) {
            counts[record.workflow.type, default: [:]][record.workflow.status, default: 0] += 1
        }
        return counts.keys.sorted().flatMap { type in
            WorkflowStatus.allCases.compactMap { status in
                counts[type]?[status].map { WorkflowCount(type: type, status: status, count: $0) }
            }
        }
    }

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

    /// Drops forgotten workflows from ``creationOrder`` once they are the majority. Called
    /// whenever workflows are forgotten.
    func compactCreationOrderIfSparse() {
        creationOrder.compactIfSparse(retained: records.count)
    }
}
