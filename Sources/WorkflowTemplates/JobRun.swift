import WorkflowEngine
import WorkflowFiles
import WorkflowModel

/// What a built-in job function gets: the engine's job context, the parameters (the start
/// request's, filled in with the job's configured ones) and the shared environment.
package struct JobRun: Sendable {
    /// The job's logger (steps, progress, stats) and identity.
    package let context: JobContext
    /// The start parameters, plus the job's configured parameters where the request gives none.
    package let params: [String: String]
    /// The registry and the files.
    package let environment: TemplateEnvironment

    /// Creates a run.
    package init(context: JobContext, params: [String: String], environment: TemplateEnvironment) {
        self.context = context
        self.params = params
        self.environment = environment
    }

    /// The asset registry.
    package var assets: AssetRegistry { environment.assets }

    /// Uploads and artifacts.
    var files: FileArea { environment.files }

    /// The job's options, parsed from ``params`` by `parse`.
    ///
    /// The template checked the parameters before the workflow started, so this fails only for
    /// a job run on parameters nobody checked; the same parameters fail again, so the error is
    /// invalid input, never retried.
    ///
    /// - Throws: ``JobError`` with the code `VALIDATION`, not retryable, naming the parameter
    ///   (`params.file_path: is required`).
    func options<Options>(_ parse: ([String: String]) throws(EngineError) -> Options) throws(JobError) -> Options {
        do {
            return try parse(params)
        } catch {
            throw .invalidInput(error.message)
        }
    }

    /// Sets the outputs `values` (see `JobContext.setOutput`).
    ///
    /// - Throws: ``JobError`` (not retryable) when they break the outputs' limits: the same
    ///   values would again.
    func setOutputs(_ values: KeyValuePairs<String, String>) throws(JobError) {
        for (name, value) in values {
            do {
                try context.setOutput(name, value)
            } catch {
                throw .invalidInput(error.message)
            }
        }
    }

    /// Throws when the job was asked to stop; called at batch boundaries.
    ///
    /// - Parameter done: How far the job got, for the error, e.g. "after 200 of 1000 rows".
    func checkCancellation(_ done: String) throws {
        if context.isCancelled {
            throw JobError("Cancelled \(done)")
        }
    }

    /// Logs `problems` as steps, at most `limit` of them, then one step counting the rest
    /// (see ``ProblemSteps``).
    func logProblems(_ problems: [RowProblem], limit: Int) {
        var steps = ProblemSteps(limit: limit, context: context)
        steps.log(problems)
        steps.finish()
    }

    /// Runs `body` on `items` in consecutive batches of `size`: checks for cancellation before
    /// each batch (throwing "Cancelled after <gerund> 200 of 1000 <noun>") and reports progress
    /// after it ("<verb> 300/1000 <noun>"), then yields, so that a long job does not hold a
    /// thread of the cooperative pool between batches: the engine (recording steps, taking a
    /// cancel request) and other jobs run meanwhile.
    ///
    /// - Parameters:
    ///   - items: What the job works through.
    ///   - size: The batch size, e.g. the `batch_size` parameter.
    ///   - verb: The progress message's verb, e.g. "Processed".
    ///   - gerund: The cancellation message's verb, e.g. "processing".
    ///   - noun: What the items are, e.g. "rows".
    ///   - body: Gets the index of the batch's first item and the batch.
    /// - Throws: ``JobError`` when the job was asked to stop, or what `body` throws.
    func forEachBatch<Element>(
        of items: [Element],
        size: Int,
        verb: String,
        gerund: String,
        noun: String,
        _ body: (_ start: Int, _ batch: ArraySlice<Element>) throws -> Void
    ) async throws {
        for (start, batch) in items.batches(of: size) {
            try checkCancellation("after \(gerund) \(start) of \(items.count) \(noun)")
            try body(start, batch)
            let done = start + batch.count
            try context.updateProgress(Double(done) / Double(items.count), message: "\(verb) \(done)/\(items.count) \(noun)")
            await Task.yield()
        }
    }
}
