import RPCCore
import WorkflowMessages

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
