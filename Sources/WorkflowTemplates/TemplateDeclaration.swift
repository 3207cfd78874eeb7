import WorkflowEngine

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
    /// The configuration line of the type's header; 0 for templates declared in Swift.
    package var line: Int

    /// Creates a declaration.
    ///
    /// - Parameters:
    ///   - type: The workflow type.
    ///   - jobs: The jobs, in the order they run.
    ///   - deadline: The workflow's deadline; none by default.
    ///   - line: The configuration line of the type's header.
    package init(type: String, jobs: [JobDeclaration], deadline: Duration? = ProductTemplates.deadline, line: Int = 0) {
        self.type = type
        self.jobs = jobs
        self.deadline = deadline
        self.line = line
    }

    /// The engine template: validation runs every job function's check on the parameters it
    /// will get; each job tells the scratchpad when it starts and how it ended (see
    /// ``WorkflowScratchpad``), so the workflow's scratch state goes when the last job completes
    /// or a job ends after it was asked to stop, and stays for the job's next attempt or a retry
    /// of the workflow when a job throws.
    ///
    /// A job gets the start request's parameters, filled in with the parameters configured on
    /// it and on the jobs before it (the nearest configuration wins), so a file path configured
    /// on the first import job serves the later ones too. Each job definition carries its
    /// declaration's retry policy and timeout; the template carries the ``deadline``.
    ///
    /// Jobs whose function is not in `catalog` fail when they run; the configuration loader
    /// refuses such declarations before they get here.
    package func makeTemplate(catalog: JobCatalog, environment: TemplateEnvironment) -> WorkflowTemplate {
        var inherited: [String: String] = [:]
        let resolved = jobs.map { job in
            inherited.merge(job.params) { _, own in own }
            return (job, inherited, catalog.function(named: job.function))
        }
        // Scratch state is only for built-in functions: it goes when the last of them completes.
        let lastPosition = jobs.lastIndex(where: { $0.remote == nil }) ?? -1
        let type = self.type
        let deadline = self.deadline
        return WorkflowTemplate(
            type: type,
            validate: { params throws(EngineError) in
                for (_, configured, function) in resolved {
                    try function?.validate(configured.merging(params) { _, requested in requested })
                }
            },
            deadline: { _ in deadline },
            makeJobs: { params in
                resolved.enumerated().map { position, entry in
                    let (job, configured, function) = entry
                    let jobParams = configured.merging(params) { _, requested in requested }
                    if let remote = job.remote {
                        return JobDefinition(name: job.name, remote: remote, retryPolicy: job.retryPolicy, timeout: job.timeout)
                    }
                    return JobDefinition(name: job.name, retryPolicy: job.retryPolicy, timeout: job.timeout) { context in
                        let scratchpad = environment.scratchpad
                        scratchpad.jobStarted(context.workflowID)
                        do {
                            guard let function else {
                                throw JobError(
                                    "\(type) has no job function \"\(job.function)\"",
                                    code: .configuration,
                                    isRetryable: false
                                )
                            }
                            try await function.run(JobRun(context: context, params: jobParams, environment: environment))
                        } catch {
                            // A job asked to stop (a cancel request, its timeout, the deadline,
                            // a shutdown: the context does not say which) lets the state go; if
                            // it runs again, it derives its inputs anew. Otherwise the throw
                            // fails the attempt, and the state stays for the next one or a retry.
                            scratchpad.jobEnded(context.workflowID, context.isCancelled ? .workflowCancelled : .workflowFailed)
                            throw error
                        }
                        let end: WorkflowScratchpad.JobEnd = if context.isCancelled {
                            .workflowCancelled
                        } else if position == lastPosition {
                            .workflowCompleted
                        } else {
                            .continuing
                        }
                        scratchpad.jobEnded(context.workflowID, end)
                    }
                }
            }
        )
    }
}
