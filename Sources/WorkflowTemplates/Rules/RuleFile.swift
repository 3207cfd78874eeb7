/// Parses rules files (see ``Rule`` for the format). `rules.load` reads the file itself, so
/// that it can tell a file that cannot be read (retried) from one with a bad line (not).
package enum RuleFile {
    /// Checks the rules in `text`; `file` names it in errors.
    ///
    /// - Throws: ``DeclarationError`` for a grammar error, a section header (with or without
    ///   arguments: the rules file does not opt in to them), a duplicate id,
    ///   an unknown kind, a missing or unknown argument, or a pattern that does not compile.
    package static func parse(_ text: String, file: String) throws(DeclarationError) -> [Rule] {
        var rules: [Rule] = []
        for line in try DeclarationLine.parse(text, file: file, allowingSectionArguments: false) {
            func fail(_ reason: String) -> DeclarationError {
                DeclarationError(file: file, line: line.line, reason: reason)
            }
            guard case .entry(let id, let kindName, let arguments) = line.content else {
                throw fail("a rules file has no [sections]; write one rule per line: id = kind key=value …")
            }
            if let earlier = rules.first(where: { $0.id == id }) {
                throw fail("rule \"\(id)\" is already declared on line \(earlier.line)")
            }
            func values(_ names: String...) throws(DeclarationError) -> [String] {
                for key in arguments.keys where !names.contains(key) {
                    throw fail("\(kindName) takes \(names.joined(separator: ", ")), not \"\(key)\"")
                }
                var values: [String] = []
                for name in names {
                    guard let value = arguments[name], !value.isEmpty else {
                        throw fail("\(kindName) needs \(name)=…")
                    }
                    values.append(value)
                }
                return values
            }
            let kind: Rule.Kind
            switch kindName {
            case "require-link":
                let given = try values("type", "from")
                kind = .requireLink(type: given[0], from: given[1])
            case "tag-pattern":
                let given = try values("type", "pattern")
                do {
                    _ = try Regex(given[1])
                } catch {
                    throw fail("pattern \"\(given[1])\" is not a valid regular expression")
                }
                kind = .tagPattern(type: given[0], pattern: given[1])
            case "require-attribute":
                let given = try values("type", "name")
                kind = .requireAttribute(type: given[0], name: given[1].lowercased())
            case "generate-cables":
                let given = try values("from", "to", "prefix")
                kind = .generateCables(from: given[0], to: given[1], prefix: given[2])
            default:
                throw fail(
                    "unknown rule kind \"\(kindName)\"; known: require-link, tag-pattern, require-attribute, generate-cables"
                )
            }
            rules.append(Rule(id: id, kind: kind, line: line.line))
        }
        return rules
    }
}
