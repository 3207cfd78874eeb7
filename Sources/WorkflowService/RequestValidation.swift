import RPCCore
import WorkflowEngine
import WorkflowMessages
import WorkflowModel

/// Field checks every request passes before it reaches the engine. Each failure is
/// INVALID_ARGUMENT with a message that starts with the field's proto name.
enum RequestValidation {
    static let maxTypeLength = 128
    static let maxIdentifierLength = 256
    static let maxSummaryLength = 4096
    static let maxParams = 256
    static let maxParamKeyLength = 256
    static let maxParamValueLength = 64 << 10

    static func check(_ request: WorkflowV1.StartWorkflowRequest) throws(RPCStatus) {
        if request.type.isEmpty {
            throw invalid("type", "is required")
        }
        try checkLength(request.type, field: "type", max: maxTypeLength)
        try checkLength(request.userID, field: "user_id", max: maxIdentifierLength)
        try checkLength(request.userName, field: "user_name", max: maxIdentifierLength)
        try checkLength(request.summary, field: "summary", max: maxSummaryLength)
        try checkLength(request.requestID, field: "request_id", max: maxIdentifierLength)
        if request.params.count > maxParams {
            throw invalid("params", "has \(request.params.count) entries; at most \(maxParams) are allowed")
        }
        for (key, value) in request.params {
            if key.isEmpty {
                throw invalid("params", "keys must not be empty")
            }
            try checkLength(key, field: "params key", max: maxParamKeyLength)
            try checkLength(value, field: "params[\(key)]", max: maxParamValueLength)
        }
    }

    static func check(_ request: WorkflowV1.CancelWorkflowRequest) throws(RPCStatus) {
        try checkWorkflowID(request.workflowID, field: "workflow_id", required: true)
        try checkLength(request.reason, field: "reason", max: maxSummaryLength)
    }

    static func check(_ request: WorkflowV1.WatchLogsRequest) throws(RPCStatus) {
        try checkWorkflowID(request.workflowID, field: "workflow_id", required: false)
        try checkLength(request.workflowType, field: "workflow_type", max: maxTypeLength)
        try checkLength(request.userID, field: "user_id", max: maxIdentifierLength)
        try checkLength(request.jobID, field: "job_id", max: maxIdentifierLength)
        try checkLength(request.entityTag, field: "entity_tag", max: maxIdentifierLength)
        _ = try kinds(request.kinds)
    }

    /// The domain kinds of a WatchLogs request's `kinds`.
    static func kinds(_ kinds: [WorkflowV1.LogEventKind]) throws(RPCStatus) -> Set<LogEventKind> {
        var known: Set<LogEventKind> = []
        for kind in kinds {
            guard let domainKind = LogEventKind(kind) else {
                throw invalid("kinds", "unknown log event kind \(kind.rawValue)")
            }
            known.insert(domainKind)
        }
        return known
    }

    /// The engine query for a ListSteps request, with every field checked.
    static func query(from request: WorkflowV1.ListStepsRequest) throws(RPCStatus) -> StepQuery {
        try checkWorkflowID(request.workflowID, field: "workflow_id", required: true)
        try checkLength(request.jobID, field: "job_id", max: maxIdentifierLength)
        try checkLength(request.entityTag, field: "entity_tag", max: maxIdentifierLength)
        guard let minimumLevel = LogLevel(minimum: request.minLevel) else {
            throw invalid("min_level", "unknown log level \(request.minLevel.rawValue)")
        }
        if request.pageSize < 0 || request.pageSize > StepQuery.maxPageSize {
            throw invalid("page_size", "must be from 1 to \(StepQuery.maxPageSize), or 0 for \(StepQuery.defaultPageSize)")
        }
        return StepQuery(
            workflowID: request.workflowID,
            jobID: request.jobID,
            minimumLevel: minimumLevel,
            entityTag: request.entityTag,
            beforeSequence: request.beforeSequence == 0 ? nil : request.beforeSequence,
            afterSequence: request.afterSequence == 0 ? nil : request.afterSequence,
            pageSize: request.pageSize == 0 ? StepQuery.defaultPageSize : Int(request.pageSize),
            oldestFirst: request.oldestFirst
        )
    }

    /// The engine query for a CountWorkflows request, with every field checked.
    static func query(from request: WorkflowV1.CountWorkflowsRequest) throws(RPCStatus) -> WorkflowQuery {
        try query(from: WorkflowV1.ListWorkflowsRequest(
            type: request.type,
            userID: request.userID,
            createdAfterMs: request.createdAfterMs,
            createdBeforeMs: request.createdBeforeMs,
            summaryContains: request.summaryContains
        ))
    }

    /// The engine query for a ListWorkflows request, with every field checked.
    static func query(from request: WorkflowV1.ListWorkflowsRequest) throws(RPCStatus) -> WorkflowQuery {
        var statuses: Set<WorkflowStatus> = []
        for status in request.statuses {
            switch status {
            case .running: statuses.insert(.running)
            case .completed: statuses.insert(.completed)
            case .failed: statuses.insert(.failed)
            case .cancelled: statuses.insert(.cancelled)
            default: throw invalid("statuses", "unknown workflow status \(status.rawValue)")
            }
        }
        try checkLength(request.type, field: "type", max: maxTypeLength)
        try checkLength(request.userID, field: "user_id", max: maxIdentifierLength)
        try checkLength(request.pageToken, field: "page_token", max: maxIdentifierLength)
        try checkLength(request.summaryContains, field: "summary_contains", max: maxSummaryLength)
        if request.createdAfterMs < 0 { throw invalid("created_after_ms", "must not be negative") }
        if request.createdBeforeMs < 0 { throw invalid("created_before_ms", "must not be negative") }
        if request.pageSize < 0 || request.pageSize > WorkflowQuery.maxPageSize {
            throw invalid("page_size", "must be from 1 to \(WorkflowQuery.maxPageSize), or 0 for \(WorkflowQuery.defaultPageSize)")
        }
        return WorkflowQuery(
            statuses: statuses,
            type: request.type,
            userID: request.userID,
            summaryContains: request.summaryContains,
            createdAfterMs: request.createdAfterMs == 0 ? nil : request.createdAfterMs,
            createdBeforeMs: request.createdBeforeMs == 0 ? nil : request.createdBeforeMs,
            pageSize: request.pageSize == 0 ? WorkflowQuery.defaultPageSize : Int(request.pageSize),
            pageToken: request.pageToken
        )
    }

    static func checkWorkflowID(_ id: String, field: String, required: Bool) throws(RPCStatus) {
        if required && id.isEmpty {
            throw invalid(field, "is required")
        }
        try checkLength(id, field: field, max: maxIdentifierLength)
    }

    private static func checkLength(_ value: String, field: String, max: Int) throws(RPCStatus) {
        let length = value.utf8.count
        if length > max {
            throw invalid(field, "is \(length) bytes long; at most \(max) are allowed")
        }
    }

    private static func invalid(_ field: String, _ reason: String) -> RPCStatus {
        RPCStatus(code: .invalidArgument, message: "\(field): \(reason)")
    }
}
