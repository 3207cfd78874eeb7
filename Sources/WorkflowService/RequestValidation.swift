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
        if request.createdAfterMs < 0 { throw invalid("created_after_ms", "must not be negative") }
        if request.createdBeforeMs < 0 { throw invalid("created_before_ms", "must not be negative") }
        if request.pageSize < 0 || request.pageSize > WorkflowQuery.maxPageSize {
            throw invalid("page_size", "must be from 1 to \(WorkflowQuery.maxPageSize), or 0 for \(WorkflowQuery.defaultPageSize)")
        }
        return WorkflowQuery(
            statuses: statuses,
            type: request.type,
            userID: request.userID,
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
