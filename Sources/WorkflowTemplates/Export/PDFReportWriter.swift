import Foundation

/// Writes a plain PDF 1.4 document of text lines: US Letter pages, Helvetica, as many pages
/// as the lines need, each with a page number.
///
/// The file is built by hand (no PDF library is available offline): a catalog, a page tree,
/// one font, and per page a page object and an uncompressed content stream; the
/// cross-reference table holds each object's byte offset.
///
/// Text is encoded in the font's WinAnsiEncoding (Windows-1252): ASCII as is, every other
/// character WinAnsi has (Latin-1 letters such as `ü`, `€`, `–`, `…`) as an octal escape;
/// `→` becomes `->` and any other character `?`. A line wider than the text area (measured with
/// Helvetica's glyph widths) wraps at a blank, or mid-word when a word alone is too wide; its
/// continuation lines are indented by four more spaces than the line. The header's comment line
/// holds four bytes above 0x7F so that tools treat the file as binary.
///
/// ```swift
/// let report = PDFReportWriter.document(title: "Asset register", lines: ["P-101  Kühler pump"])
/// try report.data.write(to: URL(fileURLWithPath: "/tmp/assets.pdf"))
/// ```
enum PDFReportWriter {
    /// Text lines per page, after wrapping.
    static let linesPerPage = 52
    private static let pageWidth = 612
    private static let pageHeight = 792
    private static let leftMargin = 50
    /// The widest a body line may be, in points: the page less both 50-point margins.
    static let maxLineWidth = Double(pageWidth - 2 * leftMargin)
    private static let bodyFontSize = 9.0
    private static let titleFontSize = 14.0

    /// The PDF bytes of a report with `title` on every page and `lines` below it, wrapped to
    /// the page width, and the number of pages.
    static func document(title: String, lines: [String]) -> (data: Data, pages: Int) {
        let wrapped = lines.flatMap { wrap(encode($0), fontSize: bodyFontSize) }
        let pages = wrapped.isEmpty ? [[]] : wrapped.batches(of: linesPerPage).map { Array($0.elements) }
        let encodedTitle = truncate(encode(title), fontSize: titleFontSize)
        // Objects: 1 catalog, 2 page tree, 3 font, then per page: page, contents.
        let pageObjectNumbers = pages.indices.map { 4 + 2 * $0 }
        var objects: [String] = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [\(pageObjectNumbers.map { "\($0) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ]
        for (index, pageLines) in pages.enumerated() {
            let stream = contentStream(title: encodedTitle, lines: pageLines, page: index + 1, of: pages.count)
            objects.append(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 \(pageWidth) \(pageHeight)] "
                    + "/Resources << /Font << /F1 3 0 R >> >> /Contents \(pageObjectNumbers[index] + 1) 0 R >>"
            )
            // The stream is ASCII (see `literal`), so its UTF-8 count is its length in bytes.
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
        }
        var output = Data("%PDF-1.4\n%".utf8)
        output.append(contentsOf: [0xE2, 0xE3, 0xCF, 0xD3, 0x0A])
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
        return (output, pages.count)
    }

    private static func contentStream(title: [UInt8], lines: [[UInt8]], page: Int, of pageCount: Int) -> String {
        var stream = "BT\n/F1 \(Int(titleFontSize)) Tf\n\(leftMargin) 742 Td\n(\(literal(title))) Tj\n/F1 \(Int(bodyFontSize)) Tf\n0 -24 Td\n13 TL\n"
        for line in lines {
            stream += "(\(literal(line))) Tj T*\n"
        }
        stream += "ET\nBT\n/F1 8 Tf\n\(pageWidth / 2 - 25) 30 Td\n(Page \(page) of \(pageCount)) Tj\nET"
        return stream
    }

    /// `text` in WinAnsiEncoding: `→` as `->`, a tab as a blank, a character WinAnsi lacks as `?`.
    static func encode(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            switch scalar {
            case "→": bytes += Array("->".utf8)
            case "\t": bytes.append(0x20)
            default: bytes.append(WinAnsi.byte(for: scalar) ?? UInt8(ascii: "?"))
            }
        }
        return bytes
    }

    /// The width of WinAnsi `bytes` in Helvetica at `fontSize`, in points.
    static func width(_ bytes: some Collection<UInt8>, fontSize: Double) -> Double {
        Double(bytes.reduce(0) { $0 + WinAnsi.helveticaWidth($1) }) * fontSize / 1000
    }

    /// `line` cut into pieces no wider than ``maxLineWidth``: at the last blank that fits, else
    /// mid-word; continuation pieces are indented four blanks more than the line.
    private static func wrap(_ line: [UInt8], fontSize: Double) -> [[UInt8]] {
        let blank = UInt8(ascii: " ")
        let indent = Array(repeating: blank, count: min(line.prefix { $0 == blank }.count + 4, 40))
        var pieces: [[UInt8]] = []
        var rest = line[...]
        var prefix: [UInt8] = []
        while true {
            let available = maxLineWidth - width(prefix, fontSize: fontSize)
            guard width(rest, fontSize: fontSize) > available else {
                pieces.append(prefix + rest)
                return pieces
            }
            // The longest head of `rest` that fits (at least one character).
            var fitting = rest.startIndex
            var used = 0.0
            while fitting < rest.endIndex {
                let glyph = Double(WinAnsi.helveticaWidth(rest[fitting])) * fontSize / 1000
                guard used + glyph <= available || fitting == rest.startIndex else { break }
                used += glyph
                fitting += 1
            }
            var cut = fitting
            if fitting < rest.endIndex, rest[fitting] != blank,
               let lastBlank = rest[rest.startIndex..<fitting].lastIndex(of: blank),
               rest[rest.startIndex..<lastBlank].contains(where: { $0 != blank }) {
                cut = lastBlank
            }
            pieces.append(prefix + rest[rest.startIndex..<cut])
            rest = rest[cut...].drop { $0 == blank }
            prefix = indent
            if rest.isEmpty { return pieces }
        }
    }

    /// `line` cut to ``maxLineWidth`` with a trailing `…` when it is wider.
    private static func truncate(_ line: [UInt8], fontSize: Double) -> [UInt8] {
        guard width(line, fontSize: fontSize) > maxLineWidth else { return line }
        let ellipsis = WinAnsi.byte(for: "…")!
        var result = line
        while !result.isEmpty, width(result + [ellipsis], fontSize: fontSize) > maxLineWidth {
            result.removeLast()
        }
        return result + [ellipsis]
    }

    /// WinAnsi `bytes` as the inside of a PDF literal string: printable ASCII as is, `\`, `(`
    /// and `)` escaped, every other byte as a three-digit octal escape, so the stream is ASCII.
    private static func literal(_ bytes: [UInt8]) -> String {
        var result = ""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: "("), UInt8(ascii: ")"):
                result += "\\" + String(UnicodeScalar(byte))
            case 0x20...0x7E:
                result.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let octal = String(byte, radix: 8)
                result += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return result
    }
}
