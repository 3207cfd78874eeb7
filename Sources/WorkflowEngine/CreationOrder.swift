import WorkflowModel

/// The retained workflows in creation order, oldest first, overall and per type: what listing
/// walks, newest first.
///
/// It holds the records themselves, not their ids: a walk of 100,000 workflows by id spent a
/// third of its time looking each one up. A type filter walks only that type's order. A
/// forgotten record stays (with little more than its ids and summary, see ``WorkflowRecord/markForgotten()``)
/// until forgotten records are the majority and ``compactIfSparse(retained:)`` drops them.
struct CreationOrder {
    private(set) var all: [WorkflowRecord] = []
    private var byType: [String: [WorkflowRecord]] = [:]

    /// Adds a workflow created after every other (ids sort by creation).
    mutating func append(_ record: WorkflowRecord) {
        all.append(record)
        byType[record.workflow.type, default: []].append(record)
    }

    /// Puts the order right after records were added out of order (a recovery).
    mutating func sort() {
        func byID(_ first: WorkflowRecord, _ second: WorkflowRecord) -> Bool { first.workflow.id < second.workflow.id }
        all.sort(by: byID)
        for type in byType.keys {
            byType[type]?.sort(by: byID)
        }
    }

    /// The workflows of `type` (nil: of every type), oldest first, forgotten ones included.
    func records(ofType type: String?) -> [WorkflowRecord] {
        guard let type else { return all }
        return byType[type] ?? []
    }

    /// The index in `order` of the first workflow whose id is not below `id`.
    static func firstIndex(in order: [WorkflowRecord], notBelow id: String) -> Int {
        order.partitioningIndex { $0.workflow.id >= id }
    }

    /// Drops forgotten workflows once they are the majority, keeping walks proportional to
    /// what is retained (`retained` workflows). Called whenever workflows are forgotten.
    mutating func compactIfSparse(retained: Int) {
        guard all.count > 1024, retained * 2 < all.count else { return }
        all.removeAll(where: \.isForgotten)
        for type in Array(byType.keys) {
            byType[type]?.removeAll(where: \.isForgotten)
            if byType[type]?.isEmpty == true {
                byType[type] = nil
            }
        }
    }
}
