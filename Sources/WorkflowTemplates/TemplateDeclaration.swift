import WorkflowEngine
import WorkflowFiles

/// A workflow type described as data: a type name, its jobs, each naming a
/// ``BuiltInJobFunction`` with its retry policy and timeout, and the workflow's deadline. The
/// product's templates and those of a configuration file are both declarations.
///
/// ```swift
/// let declaration = TemplateDeclaration(type: "IMPORT_ONLY", jobs: [
///     JobDeclaration(name: "Fetch External Assets", function: "import.fetch"),
///     JobDeclaration(name: "Save to Database", function: "import.save"),
/// ])
/// let template = declaration.makeTemplate(catalog: .builtIn, environment: environment)
/// ```
package struct TemplateDeclaration: Sendable, Hashable {
    /// The workflow type, e.g. `IMPORT_ASSETS`.
    package var type: String
    /// The jobs, in the order they run.
    package var jobs: [JobDeclaration]
    /// How long a workflow of this type may run before it fails with `DEADLINE_EXCEEDED`;
    /// `nil` (the product default) for no deadline.
    package var deadline: Duration?
    /// The outputs that make a completed workflow's result, each from the latest job that set
    /// it; `nil` for every output of the last job.
    package var resultOutputs: [String]?
    /// The configuration line of the type's header; 0 for templates declared in Swift.
    package var line: Int

    /// Creates a declaration.
    ///
    /// - Parameters:
    ///   - type: The workflow type.
    ///   - jobs: The jobs, in the order they run.
    ///   - deadline: The workflow's deadline; none by default.
    ///   - resultOutputs: The outputs that make the result; the last job's by default.
    ///   - line: The configuration line of the type's header.
    package init(
        type: String,
        jobs: [JobDeclaration],
        deadline: Duration? = ProductTemplates.deadline,
        resultOutputs: [String]? = nil,
        line: Int = 0
    ) {
        self.type = type
        self.jobs = jobs
        self.deadline = deadline
        self.resultOutputs = resultOutputs
        self.line = line
    }

    /// The engine template: validation runs every job function's check on the parameters it
    /// will get.
    ///
    /// A job gets the start request's parameters, filled in with the parameters configured on
    /// it and on the jobs before it (the nearest configuration wins), so a file path configured
    /// on the first import job serves the later ones too. Each job definition carries its
    /// declaration's retry policy and timeout; the template carries the ``deadline`` and the
    /// ``resultOutputs``. Jobs hand data on through their outputs (`JobContext.setOutput`) and
    /// durable inputs (uploads, the registry, artifacts), never through memory, so a job that
    /// runs again after a retry or a restart finds what it needs.
    ///
    /// Jobs whose function is not in `catalog` fail when they run; the configuration loader
    /// refuses such declarations before they get here.
    package func makeTemplate(catalog: JobCatalog, environment: TemplateEnvironment) -> WorkflowTemplate {
        var inherited: [String: String] = [:]
        let resolved = jobs.map { job in
            inherited.merge(job.params) { _, own in own }
            return (job, inherited, catalog.function(named: job.function))
        }
        let type = self.type
        let deadline = self.deadline
        var template = WorkflowTemplate(
            type: type,
            validate: { params throws(EngineError) in
                for (_, configured, function) in resolved {
                    try function?.validate(configured.merging(params) { _, requested in requested })
                }
                if let fileID = params["file_id"], !fileID.isEmpty, environment.files.uploads.file(id: fileID) == nil {
                    throw .invalidArgument(
                        field: "params.file_id",
                        reason: "no upload \"\(fileID)\" is stored (it expired, or never finished): upload the file with UploadFile first"
                    )
                }
            },
            deadline: { _ in deadline },
            makeJobs: { params in
                resolved.map { entry in
                    let (job, configured, function) = entry
                    let jobParams = configured.merging(params) { _, requested in requested }
                    if let remote = job.remote {
                        return JobDefinition(name: job.name, remote: remote, retryPolicy: job.retryPolicy, timeout: job.timeout)
                    }
                    return JobDefinition(name: job.name, retryPolicy: job.retryPolicy, timeout: job.timeout) { context in
                        guard let function else {
                            throw JobError("\(type) has no job function \"\(job.function)\"", code: .configuration, isRetryable: false)
                        }
                        try await function.run(JobRun(context: context, params: jobParams, environment: environment))
                    }
                }
            }
        )
        template.resultOutputs = resultOutputs
        return template
    }
}
