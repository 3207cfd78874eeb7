import Foundation
import WorkflowEngine

/// Checks and reads template parameters, with errors naming the parameter (`params.<name>`).
enum TemplateParameters {
    /// The non-empty value of `name`.
    static func required(_ params: [String: String], _ name: String) throws(EngineError) -> String {
        guard let value = params[name], !value.isEmpty else {
            throw .invalidArgument(field: "params.\(name)", reason: "is required")
        }
        return value
    }

    /// The integer value of `name` within `range`, or `defaultValue` when absent.
    static func integer(
        _ params: [String: String],
        _ name: String,
        in range: ClosedRange<Int>,
        default defaultValue: Int
    ) throws(EngineError) -> Int {
        guard let text = params[name] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidArgument(
                field: "params.\(name)",
                reason: "must be an integer from \(range.lowerBound) to \(range.upperBound), got \"\(text)\""
            )
        }
        return value
    }

    /// The `max_problem_steps` parameter (0–100000, default 50): how many problems a job logs
    /// as steps of their own before one summary step counts the rest (see ``ProblemSteps``).
    static func maxProblemSteps(_ params: [String: String]) throws(EngineError) -> Int {
        try integer(params, "max_problem_steps", in: 0...100_000, default: 50)
    }

    /// The value of `name`, which must be an existing directory.
    static func existingDirectory(_ params: [String: String], _ name: String) throws(EngineError) -> String {
        let path = try required(params, name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalidArgument(field: "params.\(name)", reason: "\"\(path)\" is not an existing directory")
        }
        return path
    }
}
