/// What to generate from a descriptor set: one Swift file for one `.proto` file.
package struct GeneratorOptions: Sendable {
    /// The `.proto` whose messages, enums and services are generated, as protoc names it
    /// (e.g. `"workflow/v1/workflow.proto"`).
    package var file: String
    /// The Swift namespace (an enum declared by hand in the target) the types go into, e.g.
    /// `"WorkflowV1"`.
    package var namespace: String
    /// The C module with the protoc-c code of `file`, e.g. `"CWorkflowProtos"`.
    package var cModule: String
    /// `public` or `package`: the access level of the generated API.
    package var access: String
    /// Further `.proto` files whose services only are generated, each into a namespace of its
    /// own, with every message resolved by its simple name in `file`. For a package that is
    /// wire-identical to `file`'s under another name (`grpc.reflection.v1` and `v1alpha`).
    package var serviceAliases: [(file: String, namespace: String)]

    /// - Parameters:
    ///   - file: The `.proto` to generate.
    ///   - namespace: The Swift namespace of the generated types.
    ///   - cModule: The C module with the protoc-c code.
    ///   - access: `public` or `package`.
    ///   - serviceAliases: Files whose services only are generated, over `file`'s messages.
    package init(file: String, namespace: String, cModule: String, access: String = "public", serviceAliases: [(file: String, namespace: String)] = []) {
        self.file = file
        self.namespace = namespace
        self.cModule = cModule
        self.access = access
        self.serviceAliases = serviceAliases
    }
}

/// A `.proto` construct the generator cannot express.
package struct GeneratorError: Error, CustomStringConvertible, Equatable {
    /// What is wrong and where.
    package var description: String

    init(_ description: String) {
        self.description = description
    }
}
