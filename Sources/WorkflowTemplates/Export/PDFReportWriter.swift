import Foundation

/// Writes a plain PDF 1.4 document of text lines: US Letter pages, Helvetica, as many pages
/// as the lines need, each with a page number.
///
/// The file is built by hand (no PDF library is available offline): a catalog, a page tree,
/// one font, and per page a page object and an uncompressed content stream; the
/// cross-reference table holds each object's byte offset. Text is written as printable ASCII:
/// `→` becomes `->`, any other character `?`.
///
/// ```swift
/// let pdf = PDFReportWriter.document(title: "Asset register", lines: ["P-101  Pump"])
/// try pdf.write(to: URL(fileURLWithPath: "/tmp/assets.pdf"))
/// ```
enum PDFReportWriter {
    static let linesPerPage = 52
    private static let pageWidth = 612
    private static let pageHeight = 792

    /// The PDF bytes of a report with `title` on every page and `lines` below it.
    static func document(title: String, lines: [String]) -> Data {
        let pages = lines.isEmpty ? [[]] : lines.batches(of: linesPerPage).map { Array($0.elements) }
        // Objects: 1 catalog, 2 page tree, 3 font, then per page: page, contents.
        let pageObjectNumbers = pages.indices.map { 4 + 2 * $0 }
        var objects: [String] = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [\(pageObjectNumbers.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
        for (index, pageLines) in pages.enumerated() {
            let stream = contentStream(title: title, lines: pageLines, page: index + 1, of: pages.count)
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(pageWidth) \(pageHeight)] "
                    + "/Resources << /Font << /F1 3 0 R >> >> /Contents \(pageObjectNumbers[index] + 1) 0 R >>"
            )
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
        }
        var output = Data("%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(output.count)
            output.append(Data("\(index + 1) 0 obj\n\(object)\nendobj\n".utf8))
        }
        let crossReferenceOffset = output.count
        var trailer = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets {
            let digits = String(offset)
            trailer += String(repeating: "0", count: 10 - digits.count) + digits + " 00000 n \n"
        }
        trailer += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(crossReferenceOffset)\n%%EOF\n"
        output.append(Data(trailer.utf8))
        return output
    }

    private static func contentStream(title: String, lines: [String], page: Int, of pageCount: Int) -> String {
        var stream = "BT\n/F1 14 Tf\n50 742 Td\n(\(literal(title))) Tj\n/F1 9 Tf\n0 -24 Td\n13 TL\n"
        for line in lines {
            stream += "(\(literal(line))) Tj T*\n"
        }
        stream += "ET\nBT\n/F1 8 Tf\n\(pageWidth / 2 - 25) 30 Td\n(Page \(page) of \(pageCount)) Tj\nET"
        return stream
    }

    /// `text` as the inside of a PDF literal string: ASCII only, `\`, `(` and `)` escaped.
    private static func literal(_ text: String) -> String {
        var result = ""
        for scalar in text.replacingOccurrences(of: "→", with: "->").unicodeScalars {
            switch scalar {
            case "\\", "(", ")": result += "\\" + String(scalar)
            case " "..."~": result.unicodeScalars.append(scalar)
            default: result += "?"
            }
        }
        return result
    }
}
