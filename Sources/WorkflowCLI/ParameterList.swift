/// Parses `--param key=value` arguments into a workflow's parameters.
package enum ParameterList {
    /// The parameters named by `arguments`, each `key=value` (the value may contain `=` and
    /// may be empty).
    ///
    /// - Parameter arguments: The `--param` values, in command-line order.
    /// - Returns: The parameters.
    /// - Throws: ``CommandFailure`` (usage) for an argument without `=`, an empty key, or a key
    ///   given twice.
    package static func parse(_ arguments: [String]) throws(CommandFailure) -> [String: String] {
        var params: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw .usage("--param '\(argument)' has no value: write --param \(argument)=VALUE")
            }
            let key = String(argument[..<equals])
            guard !key.isEmpty else {
                throw .usage("--param '\(argument)' has no key: write --param KEY=VALUE")
            }
            guard params[key] == nil else {
                throw .usage("--param \(key) is given twice: keep one")
            }
            params[key] = String(argument[argument.index(after: equals)...])
        }
        return params
    }
}
