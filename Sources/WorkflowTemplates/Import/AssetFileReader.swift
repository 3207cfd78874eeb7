import Foundation
import WorkflowEngine

/// Reads an import file (CSV or JSON) into ``SourceRow``s.
///
/// CSV: a header row naming the columns (case-insensitive), then one asset per row. JSON: see
/// ``JSONAssetReader``. Columns: `tag` and `type` (required), `name`, `links` (tags separated
/// by `;`), and any other column becomes an attribute.
package enum AssetFileReader {
    /// The file formats.
    package enum Format: String, Sendable, CaseIterable {
        /// Comma-separated values with a header row.
        case csv
        /// A JSON array of objects.
        case json
    }

    /// The format named by `params["format"]`, or else by the file's extension.
    ///
    /// - Throws: ``EngineError/Code/invalidArgument`` naming `params.format` or `field`
    ///   when neither says csv or json.
    package static func format(params: [String: String], path: String, field: String = "params.file_path") throws(EngineError) -> Format {
        if let name = params["format"] {
            guard let format = Format(rawValue: name.lowercased()) else {
                throw .invalidArgument(field: "params.format", reason: "must be csv or json, got \"\(name)\"")
            }
            return format
        }
        let pathExtension = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard let format = Format(rawValue: pathExtension) else {
            throw .invalidArgument(
                field: field,
                reason: "must end in .csv or .json (or give params.format), got \"\(path)\""
            )
        }
        return format
    }

    /// Reads the file at `path`.
    ///
    /// - Throws: ``JobError`` saying why the file cannot be read (code `IO`, retryable: the
    ///   file may appear) or parsed (code `VALIDATION`, not retryable: the same file fails
    ///   again), with the line for a CSV syntax error.
    /// - Parameters:
    ///   - path: Where the file is.
    ///   - format: How to parse it.
    ///   - name: How errors name it; the path by default.
    package static func rows(path: String, format: Format, name: String? = nil) throws(JobError) -> [SourceRow] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io("Cannot read \(name ?? path): \(error.localizedDescription)")
        }
        let path = name ?? path
        switch format {
        case .json:
            do throws(JSONAssetReader.ReadError) {
                return try JSONAssetReader.rows(from: data)
            } catch {
                throw .invalidInput("Cannot parse \(path): \(error.reason)")
            }
        case .csv:
            guard let text = String(data: data, encoding: .utf8) else {
                throw .invalidInput("Cannot parse \(path): not UTF-8 text")
            }
            return try csvRows(text, path: path)
        }
    }

    private static func csvRows(_ text: String, path: String) throws(JobError) -> [SourceRow] {
        let table: CSVTable
        do throws(CSVTable.ParseError) {
            table = try CSVTable(parsing: text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        } catch {
            throw .invalidInput("Cannot parse \(path): \(error)")
        }
        guard let header = table.records.first else {
            throw .invalidInput("Cannot parse \(path): the file is empty (expected a header row with tag and type)")
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for required in ["tag", "type"] where !columns.contains(required) {
            throw .invalidInput("Cannot parse \(path): line \(header.line): the header has no \"\(required)\" column")
        }
        return table.records.dropFirst().map { record in
            var fields: [String: String] = [:]
            for (column, value) in zip(columns, record.fields) where !column.isEmpty {
                fields[column] = value.trimmingCharacters(in: .whitespaces)
            }
            let problem = record.fields.count == columns.count
                ? nil
                : "has \(record.fields.count) fields, the header has \(columns.count)"
            return SourceRow(line: record.line, fields: fields, problem: problem)
        }
    }
}
