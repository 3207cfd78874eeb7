import Foundation
import Testing

/// Checks a PDF's cross-reference table without a PDF library.
enum PDFStructure {
    /// Every in-use xref entry points at its `N 0 obj`, and `startxref` points at `xref`.
    static func checkCrossReferences(_ pdf: Data, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let text = String(decoding: pdf, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1.4\n"), sourceLocation: sourceLocation)
        let bytes = [UInt8](pdf)
        let tail = text.components(separatedBy: "startxref\n").last ?? ""
        let xrefOffset = try #require(Int(tail.prefix { $0.isNumber }), sourceLocation: sourceLocation)
        #expect(Array(bytes[xrefOffset..<xrefOffset + 4]) == Array("xref".utf8), sourceLocation: sourceLocation)
        let table = String(decoding: bytes[xrefOffset...], as: UTF8.self).split(separator: "\n")
        for (index, entry) in table.dropFirst(3).prefix(while: { $0.hasSuffix(" n ") }).enumerated() {
            let offset = try #require(Int(entry.prefix(10)), sourceLocation: sourceLocation)
            let header = Array("\(index + 1) 0 obj".utf8)
            #expect(Array(bytes[offset..<offset + header.count]) == header, "object \(index + 1)", sourceLocation: sourceLocation)
        }
    }
}
