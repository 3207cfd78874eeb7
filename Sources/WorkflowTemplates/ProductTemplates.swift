import Foundation
import WorkflowEngine

/// The product's workflow types, `IMPORT_ASSETS`, `RULE_EXECUTION` and `EXPORT_PACKAGE`, and
/// the registry the service starts with.
///
/// Every product job, and every job of a type declared in a configuration file unless the file
/// says otherwise, is retried by ``retryPolicy`` and timed out by ``jobTimeout``; a workflow has
/// no deadline (``deadline``). Jobs are run at least once (a retry, or a restart after a crash
/// runs an interrupted attempt again), and each built-in function is safe to run again.
///
/// ```swift
/// let environment = TemplateEnvironment(assets: AssetRegistry(), files: try FileArea(directory: "data/files"))
/// let templates = try ProductTemplates.registry(environment: environment, configurationFile: "templates.conf")
/// let engine = WorkflowEngine(templates: templates, logger: logger)
/// ```
package enum ProductTemplates {
    /// The product's retry policy: ``RetryPolicy/standard`` (3 attempts, waiting 1 s then 2 s,
    /// ±20 %), never retrying the code `VALIDATION`. The product jobs also throw invalid input
    /// as not retryable, so only transient failures (a file that cannot be read or written, a
    /// timeout, an interruption) run again.
    package static let retryPolicy: RetryPolicy = {
        var policy = RetryPolicy.standard
        policy.nonRetryableCodes = [.validation]
        return policy
    }()

    /// The product's start-to-close timeout of each job attempt: 30 minutes.
    package static let jobTimeout: Duration? = .seconds(30 * 60)

    /// The product's workflow deadline: none.
    package static let deadline: Duration? = nil

    /// `IMPORT_ASSETS`: reads a CSV or JSON file of assets into the registry.
    package static let importAssets = TemplateDeclaration(type: "IMPORT_ASSETS", jobs: [
        JobDeclaration(name: "Fetch External Assets", function: "import.fetch"),
        JobDeclaration(name: "Process Data", function: "import.process"),
        JobDeclaration(name: "Validate", function: "import.validate"),
        JobDeclaration(name: "Save to Database", function: "import.save"),
    ])

    /// `RULE_EXECUTION`: evaluates a rules file over the registry and applies the results.
    package static let ruleExecution = TemplateDeclaration(type: "RULE_EXECUTION", jobs: [
        JobDeclaration(name: "Load Rules", function: "rules.load"),
        JobDeclaration(name: "Execute Rules", function: "rules.execute"),
        JobDeclaration(name: "Apply Results", function: "rules.apply"),
    ])

    /// `EXPORT_PACKAGE`: makes a snapshot, a spreadsheet and a PDF report of the registry, as
    /// artifacts of the workflow (and copies in `output_dir` if one is given).
    package static let exportPackage = TemplateDeclaration(
        type: "EXPORT_PACKAGE",
        jobs: [
            JobDeclaration(name: "Gather Data", function: "export.gather"),
            JobDeclaration(name: "Generate Excel", function: "export.excel"),
            JobDeclaration(name: "Generate PDF", function: "export.pdf"),
        ],
        resultOutputs: ExportJobs.resultOutputs
    )

    /// The three product templates, in that order.
    package static let declarations = [importAssets, ruleExecution, exportPackage]

    /// Adds the product templates over `environment` to `registry`.
    package static func register(
        into registry: inout TemplateRegistry,
        environment: TemplateEnvironment,
        catalog: JobCatalog = .builtIn
    ) {
        for declaration in declarations {
            registry.register(declaration.makeTemplate(catalog: catalog, environment: environment))
        }
    }

    /// The built-in templates (`TEST`) and the product templates over `environment`.
    package static func standardRegistry(environment: TemplateEnvironment) -> TemplateRegistry {
        var registry = TemplateRegistry.builtIn
        register(into: &registry, environment: environment)
        return registry
    }

    /// The built-in templates (`TEST`), the product templates, and the types declared in
    /// `configurationFile` if one is given.
    ///
    /// - Parameters:
    ///   - environment: The registry and files the jobs share.
    ///   - configurationFile: A templates configuration (see ``TemplateConfiguration``).
    /// - Throws: ``DeclarationError`` with the line and reason when the file cannot be read,
    ///   breaks the grammar, names an unknown function, redeclares a type or has a bad parameter.
    package static func registry(
        environment: TemplateEnvironment,
        configurationFile: String? = nil
    ) throws(DeclarationError) -> TemplateRegistry {
        var registry = standardRegistry(environment: environment)
        guard let configurationFile else { return registry }
        let configuration = try TemplateConfiguration.load(path: configurationFile, reservedTypes: Set(registry.types))
        for declaration in configuration.declarations {
            registry.register(declaration.makeTemplate(catalog: configuration.catalog, environment: environment))
        }
        return registry
    }
}
