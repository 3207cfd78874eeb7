import WorkflowModel

/// Which workflows ``WorkflowEngine/list(_:)`` returns, and which page of them.
public struct WorkflowQuery: Sendable, Hashable {
    /// The default number of workflows per page.
    public static let defaultPageSize = 50
    /// The largest page size accepted.
    public static let maxPageSize = 1000

    /// Only workflows in one of these states; empty for any.
    public var statuses: Set<WorkflowStatus>
    /// Only this type; nil for any.
    public var type: String?
    /// Only this user's workflows; nil for any.
    public var userID: String?
    /// Only workflows whose summary contains this text, ignoring case; nil for any.
    public var summaryContains: String? {
        didSet { loweredSummaryText = summaryContains.map { $0.lowercased() } }
    }
    /// Only workflows created at or after this time (Unix ms); nil for no bound.
    public var createdAfterMs: Int64?
    /// Only workflows created before this time (Unix ms); nil for no bound.
    public var createdBeforeMs: Int64?
    /// At most this many workflows (1 to ``maxPageSize``).
    public var pageSize: Int
    /// The `nextPageToken` of the previous page; nil for the first page.
    public var pageToken: String?
    /// ``summaryContains`` in lower case, compared with each summary in lower case.
    private var loweredSummaryText: String?

    /// Creates a query; empty strings mean "any".
    public init(
        statuses: Set<WorkflowStatus> = [],
        type: String? = nil,
        userID: String? = nil,
        summaryContains: String? = nil,
        createdAfterMs: Int64? = nil,
        createdBeforeMs: Int64? = nil,
        pageSize: Int = WorkflowQuery.defaultPageSize,
        pageToken: String? = nil
    ) {
        self.statuses = statuses
        self.type = type?.isEmpty == true ? nil : type
        self.userID = userID?.isEmpty == true ? nil : userID
        self.summaryContains = summaryContains?.isEmpty == true ? nil : summaryContains
        self.loweredSummaryText = self.summaryContains.map { $0.lowercased() }
        self.createdAfterMs = createdAfterMs
        self.createdBeforeMs = createdBeforeMs
        self.pageSize = pageSize
        self.pageToken = pageToken?.isEmpty == true ? nil : pageToken
    }

    /// Whether `record`'s workflow passes every criterion. Reads the fields it compares one by
    /// one, never a copy of the whole tree: a scan of 100,000 workflows spent half its time
    /// retaining what such copies hold.
    func matches(_ record: WorkflowRecord) -> Bool {
        if !statuses.isEmpty, !statuses.contains(record.workflow.status) { return false }
        if let type, record.workflow.type != type { return false }
        if let userID, record.workflow.userID != userID { return false }
        if let createdAfterMs, record.workflow.createdAtMs < createdAfterMs { return false }
        if let createdBeforeMs, record.workflow.createdAtMs >= createdBeforeMs { return false }
        if let loweredSummaryText, !Self.text(record.workflow.summary, containsLowered: loweredSummaryText) { return false }
        return true
    }

    /// Whether `text` contains `needle` (lower case), ignoring case. An ASCII needle is
    /// searched for in `text`'s bytes with ASCII letters folded, with no allocation (a scan of
    /// 100,000 summaries per request must stay cheap); other needles compare lower-cased text.
    static func text(_ text: String, containsLowered needle: String) -> Bool {
        let needleBytes = needle.utf8
        guard needleBytes.allSatisfy({ $0 < 0x80 }) else {
            return text.lowercased().contains(needle)
        }
        let found = text.utf8.withContiguousStorageIfAvailable { haystack in
            Self.bytes(haystack, containFoldedASCII: needleBytes)
        }
        return found ?? text.lowercased().contains(needle)
    }

    private static func bytes(_ haystack: UnsafeBufferPointer<UInt8>, containFoldedASCII needle: String.UTF8View) -> Bool {
        let count = needle.count
        guard count > 0 else { return true }
        guard haystack.count >= count else { return false }
        func folded(_ byte: UInt8) -> UInt8 {
            byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
        }
        for start in 0 ... haystack.count - count {
            var offset = 0
            for byte in needle {
                guard folded(haystack[start + offset]) == byte else { break }
                offset += 1
            }
            if offset == count { return true }
        }
        return false
    }
}
