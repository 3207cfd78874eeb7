import WorkflowModel

extension WorkflowEngine {
    /// The retained workflows that match `query`, newest first, one page at a time. With a
    /// store, some may be only summaries (``WorkflowPage/treesInStore``).
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
        var treesInStore: Set<String> = []
        var index = end
        while index > 0 {
            index -= 1
            let record = order[index]
            guard !record.isForgotten, query.matches(record) else { continue }
            if page.count == query.pageSize {
                return WorkflowPage(workflows: page, nextPageToken: page.last?.id, treesInStore: treesInStore)
            }
            page.append(record.workflow)
            if record.treeInStore {
                treesInStore.insert(record.workflow.id)
            }
        }
        return WorkflowPage(workflows: page, nextPageToken: nil, treesInStore: treesInStore)
    }

    /// How many retained workflows match `query`, per type and status, by type then status.
    /// The query's statuses, page size and page token are ignored: every status is counted.
    ///
    /// Without a user, text or time filter the counts are kept as workflows change and cost
    /// nothing per workflow; with one, every retained workflow is looked at.
    ///
    /// - Parameter query: The type, user, text and time filters.
    /// - Returns: One count per type and status with at least one workflow.
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
        var tally = WorkflowStatusTally()
        for record in records.values where everyStatus.matches(record) {
            tally.add(type: record.workflow.type, status: record.workflow.status)
        }
        return tally.counts(ofType: nil)
    }

    /// Drops forgotten workflows from ``creationOrder`` once they are the majority. Called
    /// whenever workflows are forgotten.
    func compactCreationOrderIfSparse() {
        creationOrder.compactIfSparse(retained: records.count)
    }
}
