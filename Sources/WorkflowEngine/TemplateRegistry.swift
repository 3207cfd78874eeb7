/// The workflow types an engine can start, by type name.
///
/// ```swift
/// var templates = TemplateRegistry.builtIn
/// templates.register(importAssets)
/// let engine = WorkflowEngine(templates: templates, logger: logger)
/// ```
package struct TemplateRegistry: Sendable {
    private var templates: [String: WorkflowTemplate] = [:]

    /// The registered types, sorted.
    package private(set) var types: [String] = []

    /// Creates a registry holding `templates` (a later one replaces an earlier one of the same type).
    package init(_ templates: [WorkflowTemplate] = []) {
        for template in templates {
            register(template)
        }
    }

    /// A registry with the built-in templates: ``TestTemplate`` (`TEST`).
    package static var builtIn: TemplateRegistry {
        TemplateRegistry([TestTemplate.make()])
    }

    /// Adds `template`, replacing any template of the same type.
    package mutating func register(_ template: WorkflowTemplate) {
        if templates.updateValue(template, forKey: template.type) == nil {
            types.append(template.type)
            types.sort()
        }
    }

    /// The template for `type`, if registered.
    package func template(for type: String) -> WorkflowTemplate? {
        templates[type]
    }
}
