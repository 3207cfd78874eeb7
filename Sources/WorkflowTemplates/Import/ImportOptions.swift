import WorkflowEngine

/// The parameters of the import job functions, checked.
///
/// | param | meaning | default |
/// | --- | --- | --- |
/// | `file_path` | the CSV or JSON file to import (required) | |
/// | `format` | `csv` or `json` | from the file's extension |
/// | `batch_size` | rows per progress report and cancellation check, 1–10000 | 100 |
/// | `detail_limit` | up to this many rows, one step per asset; above, one step per batch, 0–100000 | 100 |
/// | `max_problem_steps` | how many bad rows Process and Validate each log as steps; one more step counts the rest, 0–100000 | 50 |
struct ImportOptions: Sendable {
    var filePath: String
    var format: AssetFileReader.Format
    var batchSize: Int
    var detailLimit: Int
    var maxProblemSteps: Int

    /// Checks `params`: optional parameters first, then `file_path` (see
    /// ``BuiltInJobFunction/validate``).
    init(params: [String: String]) throws(EngineError) {
        batchSize = try TemplateParameters.integer(params, "batch_size", in: 1...10_000, default: 100)
        detailLimit = try TemplateParameters.integer(params, "detail_limit", in: 0...100_000, default: 100)
        maxProblemSteps = try TemplateParameters.maxProblemSteps(params)
        filePath = try TemplateParameters.required(params, "file_path")
        format = try AssetFileReader.format(params: params, path: filePath)
    }
}
