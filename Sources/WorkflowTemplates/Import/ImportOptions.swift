import WorkflowEngine

/// The parameters of the import job functions, checked.
///
/// | param | meaning | default |
/// | --- | --- | --- |
/// | `file_id` | the uploaded CSV or JSON file to import (see `UploadFile`) | |
/// | `file_path` | or: a CSV or JSON file on the server's disk | |
/// | `format` | `csv` or `json` | from the file's extension |
/// | `batch_size` | rows per progress report and cancellation check, 1–10000 | 100 |
/// | `detail_limit` | up to this many rows, one step per asset; above, one step per batch, 0–100000 | 100 |
/// | `max_problem_steps` | how many bad rows Process and Validate each log as steps; one more step counts the rest, 0–100000 | 50 |
struct ImportOptions: Sendable {
    var input: InputFile
    var batchSize: Int
    var detailLimit: Int
    var maxProblemSteps: Int
    private var params: [String: String]

    /// Checks `params`: optional parameters first, then the file (see
    /// ``BuiltInJobFunction/validate``).
    init(params: [String: String]) throws(EngineError) {
        batchSize = try TemplateParameters.integer(params, "batch_size", in: 1...10_000, default: 100)
        detailLimit = try TemplateParameters.integer(params, "detail_limit", in: 0...100_000, default: 100)
        maxProblemSteps = try TemplateParameters.maxProblemSteps(params)
        input = try InputFile(params: params, pathParameter: "file_path")
        self.params = params
        switch input.source {
        case .path(let path):
            _ = try AssetFileReader.format(params: params, path: path)
        case .upload:
            if params["format"] != nil {
                _ = try AssetFileReader.format(params: params, path: "")
            }
        }
    }

    /// The format of `file`: `format`, or its name's extension.
    ///
    /// - Throws: ``JobError`` with the code `VALIDATION` when neither says csv or json.
    func format(of file: InputFile.Resolved) throws(JobError) -> AssetFileReader.Format {
        do {
            return try AssetFileReader.format(
                params: params, path: file.name, field: file.upload == nil ? "params.file_path" : "params.file_id"
            )
        } catch {
            throw .invalidInput("Cannot import \(file.name): \(error.message)")
        }
    }
}
