/// The workflow types an engine can start, by type name.
///
/// ```swift
/// var templates = TemplateRegistry.builtIn
/// templates.register(importAssets)
/// let engine = WorkflowEngine(templates: templates, logger: logger)
/// ```
public struct TemplateRegistry: Sendable {
    private var templates: [String: WorkflowTemplate] = [:]

    /// The registered types, sorted.
    public private(set) var types: [String] = []

    /// Creates a registry holding `templates` (a later one replaces an earlier one of the same type).
    public init(_ templates: [WorkflowTemplate] = []) {
        for template in templates {
            register(template)
        }
    }

    /// A registry with the built-in templates: ``TestTemplate`` (`TEST`).
    public static var builtIn: TemplateRegistry {
        TemplateRegistry([TestTemplate.make()])
    }

    /// Adds `template`, replacing any template of the same type.
    public mutating func register(_ template: WorkflowTemplate) {
        if templates.updateValue(template, forKey: template.type) == nil {
            types.append(template.type)
            types.sort()
        }
    }

    /// The template for `type`, if registered.
    public func template(for type: String) -> WorkflowTemplate? {
        templates[type]
    }
}
