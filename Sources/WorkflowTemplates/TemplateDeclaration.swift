import WorkflowEngine

/// A workflow type described as data: a type name and its jobs, each naming a
/// ``BuiltInJobFunction``. The product's templates and those of a configuration file are both
/// declarations.
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
    /// The configuration line of the type's header; 0 for templates declared in Swift.
    package var line: Int

    /// Creates a declaration.
    package init(type: String, jobs: [JobDeclaration], line: Int = 0) {
        self.type = type
        self.jobs = jobs
        self.line = line
    }

    /// The engine template: validation runs every job function's check on the parameters it
    /// will get; each job tells the scratchpad when it starts and how it ended (see
    /// ``WorkflowScratchpad``), so the workflow's scratch state goes when the last job completes
    /// or a job ends after a cancel request, and stays for a retry when a job fails.
    ///
    /// A job gets the start request's parameters, filled in with the parameters configured on
    /// it and on the jobs before it (the nearest configuration wins), so a file path configured
    /// on the first import job serves the later ones too.
    ///
    /// Jobs whose function is not in `catalog` fail when they run; the configuration loader
    /// refuses such declarations before they get here.
    package func makeTemplate(catalog: JobCatalog, environment: TemplateEnvironment) -> WorkflowTemplate {
        var inherited: [String: String] = [:]
        let resolved = jobs.map { job in
            inherited.merge(job.params) { _, own in own }
            return (job.name, job.function, inherited, catalog.function(named: job.function))
        }
        let lastPosition = jobs.count - 1
        let type = self.type
        return WorkflowTemplate(
            type: type,
            validate: { params throws(EngineError) in
                for (_, _, configured, function) in resolved {
                    try function?.validate(configured.merging(params) { _, requested in requested })
                }
            },
            makeJobs: { params in
                resolved.enumerated().map { position, entry in
                    let (name, functionName, configured, function) = entry
                    let jobParams = configured.merging(params) { _, requested in requested }
                    return JobDefinition(name: name) { context in
                        let scratchpad = environment.scratchpad
                        scratchpad.jobStarted(context.workflowID)
                        do {
                            guard let function else {
                                throw JobError("\(type) has no job function \"\(functionName)\"")
                            }
                            try await function.run(JobRun(context: context, params: jobParams, environment: environment))
                        } catch {
                            // After a cancel request the engine ends the workflow CANCELLED
                            // whatever the job did; otherwise a throwing job fails it.
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
