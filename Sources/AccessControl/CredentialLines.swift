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
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.prefix { $0 != "#" }
            let fields = content.split(whereSeparator: \.isWhitespace)
            if !fields.isEmpty {
                lines.append((index + 1, fields))
            }
        }
        return lines
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
