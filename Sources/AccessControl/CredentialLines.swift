import Foundation

/// The lines of a credentials file that say something: blank lines and `#` comments left out,
/// each with its line number for errors.
enum CredentialLines {
    static func read(_ path: String) throws(AccessSetupError) -> [(number: Int, fields: [Substring])] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AccessSetupError(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        var lines: [(number: Int, fields: [Substring])] = []
        // `\r\n` is one Character in Swift: split on any line break, so CRLF files read alike.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.prefix { $0 != "#" }
            let fields = content.split(whereSeparator: \.isWhitespace)
            if !fields.isEmpty {
                lines.append((index + 1, fields))
            }
        }
        return lines
    }

    /// `field` as a caller's subject: printable, at most 256 bytes (it is written into events
    /// and messages), or an error naming the line.
    static func subject(_ field: Substring, path: String, line: Int) throws(AccessSetupError) -> String {
        guard Subject.isAcceptable(field) else {
            throw AccessSetupError(path: path, reason: "line \(line): a subject must be \(Subject.requirement)")
        }
        return String(field)
    }

    /// The roles in `field`, or an error naming the line.
    static func roles(_ field: Substring, path: String, line: Int) throws(AccessSetupError) -> Set<Role> {
        do {
            let roles = try Role.parseList(field)
            guard !roles.isEmpty else { throw UnknownRole(name: String(field)) }
            return roles
        } catch {
            throw AccessSetupError(path: path, reason: "line \(line): \(error)")
        }
    }
}
