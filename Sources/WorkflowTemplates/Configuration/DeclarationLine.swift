/// One meaningful line of a declaration file: a `[SECTION]` header or an entry
/// `name = head key=value …`.
///
/// The grammar, shared by the templates configuration and the rules file:
///
/// ```
/// # a comment (a line whose first non-blank character is #)
/// [IMPORT_AND_CHECK] retries=2 timeout=10m
/// Fetch External Assets = import.fetch
/// Pause = wait wait_ms=500
/// Report = fail fail_message="values with spaces are quoted"
/// ```
///
/// Blank lines and comments are skipped. In an entry the name is everything before the first
/// `=`, trimmed; then comes the head (a word), then `key=value` arguments separated by blanks.
/// A value is a word or a double-quoted string in which `\"` and `\\` escape. Keys are unique
/// within a line. A section header may carry `key=value` arguments after its `]` only where the
/// reader opts in (``parse(_:file:allowingSectionArguments:)``); elsewhere a header is `[NAME]`
/// alone.
package struct DeclarationLine: Sendable, Hashable {
    /// What the line declares.
    package enum Content: Sendable, Hashable {
        /// `[NAME] key=value …`: starts a section; `arguments` is empty unless the reader
        /// allows section arguments.
        case section(name: String, arguments: [String: String])
        /// `name = head key=value …`.
        case entry(name: String, head: String, arguments: [String: String])
    }

    /// The 1-based line number.
    package var line: Int
    /// What the line declares.
    package var content: Content

    /// Parses every meaningful line of `text`.
    ///
    /// - Parameters:
    ///   - text: The file's contents.
    ///   - file: The file's name, for errors.
    ///   - allowingSectionArguments: Whether a section header may carry `key=value` arguments
    ///     after its `]` (the templates configuration); `false` (the rules file) refuses them.
    /// - Throws: ``DeclarationError`` for the first line that does not follow the grammar.
    package static func parse(
        _ text: String,
        file: String,
        allowingSectionArguments: Bool = false
    ) throws(DeclarationError) -> [DeclarationLine] {
        var lines: [DeclarationLine] = []
        var number = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let trimmed = rawLine.trimmingBlanks()
            if trimmed.isEmpty || trimmed.hasPrefix("#") {
                continue
            }
            do throws(DeclarationLineError) {
                let content = try parseContent(trimmed, allowingSectionArguments: allowingSectionArguments)
                lines.append(DeclarationLine(line: number, content: content))
            } catch {
                throw DeclarationError(file: file, line: number, reason: error.reason)
            }
        }
        return lines
    }

    private static func parseContent(_ text: Substring, allowingSectionArguments: Bool) throws(DeclarationLineError) -> Content {
        if text.hasPrefix("[") {
            return try parseSection(text, allowingArguments: allowingSectionArguments)
        }
        guard let equals = text.firstIndex(of: "=") else {
            throw DeclarationLineError(reason: "expected \"name = function key=value …\" or \"[NAME]\"")
        }
        let name = text[..<equals].trimmingBlanks()
        guard !name.isEmpty else {
            throw DeclarationLineError(reason: "missing a name before \"=\"")
        }
        var tokens = try tokenize(text[text.index(after: equals)...])
        guard !tokens.isEmpty else {
            throw DeclarationLineError(reason: "missing what \"\(name)\" is after \"=\"")
        }
        let head = tokens.removeFirst()
        guard head.key == nil else {
            throw DeclarationLineError(reason: "expected a function name after \"=\", got \"\(head.text)\"")
        }
        return .entry(name: String(name), head: head.text, arguments: try arguments(tokens))
    }

    /// `[NAME]`, followed by `key=value` arguments when they are allowed.
    private static func parseSection(_ text: Substring, allowingArguments: Bool) throws(DeclarationLineError) -> Content {
        let form = allowingArguments ? "[NAME] key=value …" : "[NAME]"
        guard let close = text.firstIndex(of: "]") else {
            throw DeclarationLineError(reason: "a section header is \(form)")
        }
        let name = text[text.index(after: text.startIndex)..<close].trimmingBlanks()
        guard !name.isEmpty else {
            throw DeclarationLineError(reason: "a section header is \(form)")
        }
        let rest = text[text.index(after: close)...]
        guard allowingArguments else {
            guard rest.trimmingBlanks().isEmpty else {
                throw DeclarationLineError(reason: "a section header is [NAME], with nothing after the ]")
            }
            return .section(name: String(name), arguments: [:])
        }
        if let first = rest.first, first != " ", first != "\t" {
            throw DeclarationLineError(reason: "expected a blank after [\(name)]")
        }
        return .section(name: String(name), arguments: try arguments(try tokenize(rest)))
    }

    /// The `key=value` tokens as a dictionary.
    ///
    /// - Throws: For a token that is not `key=value`, or a key given twice.
    private static func arguments(_ tokens: [Token]) throws(DeclarationLineError) -> [String: String] {
        var arguments: [String: String] = [:]
        for token in tokens {
            guard let key = token.key else {
                throw DeclarationLineError(reason: "expected key=value, got \"\(token.text)\"")
            }
            guard arguments.updateValue(token.text, forKey: key) == nil else {
                throw DeclarationLineError(reason: "\"\(key)\" is given twice")
            }
        }
        return arguments
    }

    /// A word, or a `key=value` pair whose value may be quoted.
    private struct Token {
        var key: String?
        var text: String
    }

    private static func tokenize(_ text: Substring) throws(DeclarationLineError) -> [Token] {
        var tokens: [Token] = []
        var index = text.startIndex
        func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" || character == "\r" }
        while index < text.endIndex {
            if isBlank(text[index]) {
                index = text.index(after: index)
                continue
            }
            var key: String?
            var word = ""
            var quoted = false
            while index < text.endIndex, !isBlank(text[index]) {
                let character = text[index]
                if character == "=", key == nil, !word.isEmpty {
                    key = word
                    word = ""
                    index = text.index(after: index)
                    if index < text.endIndex, text[index] == "\"" {
                        quoted = true
                        break
                    }
                    continue
                }
                guard character != "\"" else {
                    throw DeclarationLineError(reason: "a quote may only start a value: \(key ?? word)=\"…\"")
                }
                word.append(character)
                index = text.index(after: index)
            }
            if quoted {
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let character = text[index]
                    index = text.index(after: index)
                    if character == "\\", index < text.endIndex {
                        word.append(text[index])
                        index = text.index(after: index)
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        word.append(character)
                    }
                }
                guard closed else {
                    throw DeclarationLineError(reason: "unterminated quoted value of \"\(key ?? "")\"")
                }
                if index < text.endIndex, !isBlank(text[index]) {
                    throw DeclarationLineError(reason: "expected a blank after the quoted value of \"\(key ?? "")\"")
                }
            }
            tokens.append(Token(key: key, text: word))
        }
        return tokens
    }
}
