/// A parsed CSV text (RFC 4180): records of fields, each with the line it starts on.
///
/// Fields are separated by commas and may be double-quoted; inside quotes, commas and line
/// breaks are data and `""` is a quote. Records end at LF or CRLF. Blank lines are skipped.
///
/// ```swift
/// let table = try CSVTable(parsing: "tag,type\nP-101,Pump\n")
/// print(table.records[1].line, table.records[1].fields)  // 2 ["P-101", "Pump"]
/// ```
package struct CSVTable: Sendable, Hashable {
    /// One record and its starting line.
    package struct Record: Sendable, Hashable {
        /// The 1-based line the record starts on.
        package var line: Int
        /// The fields, unquoted, not trimmed.
        package var fields: [String]
    }

    /// The records, the header first.
    package var records: [Record]

    /// Why a CSV text cannot be parsed.
    package struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The line the problem starts on.
        package var line: Int
        /// What is wrong.
        package var reason: String
        /// `line N: reason`.
        package var description: String { "line \(line): \(reason)" }
    }

    /// Parses `text`.
    ///
    /// - Throws: ``ParseError`` for a quote left open or a quote inside an unquoted field.
    package init(parsing text: String) throws(ParseError) {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var quoteLine = 0
        var fieldWasQuoted = false
        var scalars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil

        func endRecord() {
            fields.append(field)
            field = ""
            fieldWasQuoted = false
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
        }

        while let scalar = pending ?? scalars.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    let next = scalars.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        inQuotes = false
                        pending = next
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case ",":
                fields.append(field)
                field = ""
                fieldWasQuoted = false
            case "\r":
                continue
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            case "\"":
                guard field.isEmpty, !fieldWasQuoted else {
                    throw ParseError(line: line, reason: "a quote inside an unquoted field (quote the whole field and double the quote)")
                }
                inQuotes = true
                fieldWasQuoted = true
                quoteLine = line
            default:
                if fieldWasQuoted, scalar != " " {
                    throw ParseError(line: line, reason: "text after a closing quote")
                }
                field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes {
            throw ParseError(line: quoteLine, reason: "a quoted field is never closed")
        }
        if !field.isEmpty || !fields.isEmpty {
            endRecord()
        }
        self.records = records
    }
}
