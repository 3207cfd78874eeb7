import Foundation
import WorkflowEngine

/// Workflow types declared in a configuration file, loaded at start, so operators add a type
/// without recompiling.
///
/// The file is UTF-8 text in the ``DeclarationLine`` grammar: a `[TYPE]` header per workflow
/// type, then one line per job, in order: `Job Name = function key=value …`. The function is a
/// ``BuiltInJobFunction`` of the catalog (`import.fetch`, `rules.load`, `wait`, …); the
/// arguments are parameters that job and the jobs after it get when the start request does not
/// give them (a later job's configuration wins over an earlier one's).
///
/// ```
/// # Import a file, then check it against the plant rules.
/// [IMPORT_AND_CHECK]
/// Fetch External Assets = import.fetch
/// Process Data          = import.process
/// Validate              = import.validate
/// Save to Database      = import.save
/// Load Rules            = rules.load rules_path=Samples/rules.conf
/// Execute Rules         = rules.execute
/// Apply Results         = rules.apply
/// ```
///
/// Refused, with the line and the reason: a grammar error, a job before any header, a type
/// name that is not `UPPER_SNAKE_CASE`, a type declared twice or already built in, a type with
/// no jobs, an unknown function, and configured parameters the function rejects.
package struct TemplateConfiguration: Sendable {
    /// The declared types, in file order.
    package var declarations: [TemplateDeclaration]
    /// The functions the declarations were checked against.
    package var catalog: JobCatalog

    /// Reads and checks the configuration file at `path`.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - reservedTypes: Types already registered, which the file may not redeclare.
    ///   - catalog: The functions jobs may name.
    /// - Throws: ``DeclarationError`` with the line and reason.
    package static func load(
        path: String,
        reservedTypes: Set<String> = [],
        catalog: JobCatalog = .builtIn
    ) throws(DeclarationError) -> TemplateConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DeclarationError(file: path, line: 0, reason: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path, reservedTypes: reservedTypes, catalog: catalog)
    }

    /// Checks the configuration `text`; `file` names it in errors.
    ///
    /// - Throws: ``DeclarationError`` with the line and reason.
    package static func parse(
        _ text: String,
        file: String,
        reservedTypes: Set<String> = [],
        catalog: JobCatalog = .builtIn
    ) throws(DeclarationError) -> TemplateConfiguration {
        var declarations: [TemplateDeclaration] = []
        func fail(_ line: Int, _ reason: String) -> DeclarationError {
            DeclarationError(file: file, line: line, reason: reason)
        }
        func checkHasJobs(_ declaration: TemplateDeclaration?) throws(DeclarationError) {
            if let declaration, declaration.jobs.isEmpty {
                throw fail(declaration.line, "type \(declaration.type) declares no jobs")
            }
        }
        for line in try DeclarationLine.parse(text, file: file) {
            switch line.content {
            case .section(let type, _):
                try checkHasJobs(declarations.last)
                guard type.wholeMatch(of: /[A-Z][A-Z0-9_]*/) != nil else {
                    throw fail(line.line, "type \"\(type)\" must be UPPER_SNAKE_CASE, e.g. IMPORT_AND_CHECK")
                }
                guard !reservedTypes.contains(type) else {
                    throw fail(line.line, "type \(type) is built in and cannot be redeclared")
                }
                if let earlier = declarations.first(where: { $0.type == type }) {
                    throw fail(line.line, "type \(type) is already declared on line \(earlier.line)")
                }
                declarations.append(TemplateDeclaration(type: type, jobs: [], line: line.line))
            case .entry(let name, let functionName, let arguments):
                guard !declarations.isEmpty else {
                    throw fail(line.line, "job \"\(name)\" comes before any [TYPE] header")
                }
                guard let function = catalog.function(named: functionName) else {
                    throw fail(
                        line.line,
                        "unknown job function \"\(functionName)\"; known: \(catalog.names.joined(separator: ", "))"
                    )
                }
                do throws(EngineError) {
                    try checkConfiguredParameters(arguments, of: function)
                } catch {
                    throw fail(line.line, "job \"\(name)\": \(error.message)")
                }
                declarations[declarations.count - 1].jobs.append(
                    JobDeclaration(name: name, function: functionName, params: arguments, line: line.line)
                )
            }
        }
        try checkHasJobs(declarations.last)
        return TemplateConfiguration(declarations: declarations, catalog: catalog)
    }

    /// Runs `function`'s check on the configured parameters, ignoring only the complaint that a
    /// required parameter is missing (the start request may give it).
    private static func checkConfiguredParameters(
        _ arguments: [String: String],
        of function: BuiltInJobFunction
    ) throws(EngineError) {
        do {
            try function.validate(arguments)
        } catch where error.message.hasSuffix(": is required") {
            guard let field = error.field, arguments[String(field.dropFirst("params.".count))] == nil else {
                throw error
            }
        }
    }
}
