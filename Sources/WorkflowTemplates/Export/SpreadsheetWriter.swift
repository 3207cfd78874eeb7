import Foundation
import ZIPFoundation

/// Writes a one-sheet Office Open XML workbook (`.xlsx`): the smallest set of parts Excel,
/// LibreOffice and openpyxl accept (content types, relationships, workbook, one worksheet),
/// zipped by ZIPFoundation. Cells of numeric columns are numbers, every other cell an inline
/// string of at most ``maxCellLength`` characters.
enum SpreadsheetWriter {
    /// The most characters (UTF-16 code units) an Excel cell holds; longer text is cut to this
    /// length, ending in `…`.
    static let maxCellLength = 32_767

    /// Writes `rows` (the first is the header) as sheet `sheetName` to `path`, replacing any
    /// file there; the file appears complete or not at all (see ``AtomicFile``).
    ///
    /// - Parameters:
    ///   - rows: The cells, the header row first.
    ///   - numericColumns: Zero-based columns whose non-empty cells below the header are
    ///     plain decimal numbers (see ``AssetTable/isNumber(_:)``), written as numbers.
    ///   - sheetName: The sheet's name.
    ///   - path: The file to write.
    /// - Returns: The references (e.g. `F12`) of the cells cut to ``maxCellLength``.
    @discardableResult
    static func write(rows: [[String]], numericColumns: Set<Int> = [], sheetName: String, to path: String) throws -> [String] {
        var truncated: [String] = []
        let parts: [(String, String)] = [
            ("[Content_Types].xml", contentTypes),
            ("_rels/.rels", rootRelationships),
            ("xl/workbook.xml", workbook(sheetName: sheetName)),
            ("xl/_rels/workbook.xml.rels", workbookRelationships),
            ("xl/worksheets/sheet1.xml", worksheet(rows, numericColumns: numericColumns, truncated: &truncated)),
        ]
        try AtomicFile.replace(at: path) { temporary in
            // The archive is closed when this closure returns, before the file is renamed.
            let archive = try Archive(url: temporary, accessMode: .create)
            for (name, text) in parts {
                let data = Data(text.utf8)
                try archive.addEntry(
                    with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate
                ) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
        }
        return truncated
    }

    /// `A`, `B`, …, `Z`, `AA`, … for zero-based column `index`.
    static func columnName(_ index: Int) -> String {
        var name = ""
        var number = index + 1
        while number > 0 {
            let remainder = (number - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + remainder))) + name
            number = (number - 1) / 26
        }
        return name
    }

    private static func worksheet(_ rows: [[String]], numericColumns: Set<Int>, truncated: inout [String]) -> String {
        var xml = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
            """
        for (rowIndex, row) in rows.enumerated() {
            xml += "<row r=\"\(rowIndex + 1)\">"
            for (columnIndex, value) in row.enumerated() where !value.isEmpty {
                let reference = "\(columnName(columnIndex))\(rowIndex + 1)"
                if rowIndex > 0, numericColumns.contains(columnIndex), AssetTable.isNumber(value) {
                    xml += "<c r=\"\(reference)\"><v>\(value)</v></c>"
                    continue
                }
                var text = xmlCharacters(value)
                if text.utf16.count > maxCellLength {
                    text = cut(text, to: maxCellLength)
                    truncated.append(reference)
                }
                xml += "<c r=\"\(reference)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">"
                xml += escaped(text)
                xml += "</t></is></c>"
            }
            xml += "</row>"
        }
        return xml + "</sheetData></worksheet>"
    }

    /// `text` without the characters XML 1.0 forbids.
    private static func xmlCharacters(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// The first scalars of `text` that, with a final `…`, take at most `length` UTF-16 units.
    private static func cut(_ text: String, to length: Int) -> String {
        var result = String.UnicodeScalarView()
        var used = 1  // the ellipsis
        for scalar in text.unicodeScalars {
            used += UTF16.width(scalar)
            guard used <= length else { break }
            result.append(scalar)
        }
        return String(result) + "…"
    }

    /// `text` with XML's special characters escaped and characters XML 1.0 forbids dropped.
    private static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in xmlCharacters(text).unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func workbook(sheetName: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
        <sheets><sheet name="\(escaped(sheetName))" sheetId="1" r:id="rId1"/></sheets></workbook>
        """
    }

    private static let contentTypes = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
        <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
        <Default Extension="xml" ContentType="application/xml"/>\
        <Override PartName="/xl/workbook.xml" \
        ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
        <Override PartName="/xl/worksheets/sheet1.xml" \
        ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
        </Types>
        """

    private static let rootRelationships = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" \
        Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
        Target="xl/workbook.xml"/></Relationships>
        """

    private static let workbookRelationships = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" \
        Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
        Target="worksheets/sheet1.xml"/></Relationships>
        """
}
