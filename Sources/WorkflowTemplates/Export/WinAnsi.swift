/// WinAnsiEncoding (Windows code page 1252), the encoding the PDF report declares for its
/// Helvetica font, and Helvetica's glyph widths in it (from Adobe's Helvetica AFM, in
/// thousandths of the font size).
enum WinAnsi {
    /// The WinAnsi byte of `scalar`, or nil when WinAnsi has no such character. Printable ASCII
    /// and Latin-1 (U+00A0–U+00FF) keep their code; 0x80–0x9F hold the characters below.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        switch scalar.value {
        case 0x20...0x7E, 0xA0...0xFF: UInt8(scalar.value)
        default: fromHighTable[scalar.value]
        }
    }

    /// The width of WinAnsi `byte` in Helvetica; a byte without a glyph counts as the widest
    /// glyph, so measuring never underestimates.
    static func helveticaWidth(_ byte: UInt8) -> Int {
        switch byte {
        case 0x20...0x7E: asciiWidths[Int(byte) - 0x20]
        case 0x80...0x9F: highWidths[Int(byte) - 0x80] ?? 1015
        case 0xA0...0xFF: latin1Widths[Int(byte) - 0xA0]
        default: 1015
        }
    }

    /// The characters of 0x80–0x9F (five codes are unassigned).
    private static let highTable: [(UInt8, Unicode.Scalar, Int)] = [
        (0x80, "€", 556), (0x82, "‚", 222), (0x83, "ƒ", 556), (0x84, "„", 333), (0x85, "…", 1000),
        (0x86, "†", 556), (0x87, "‡", 556), (0x88, "ˆ", 333), (0x89, "‰", 1000), (0x8A, "Š", 667),
        (0x8B, "‹", 333), (0x8C, "Œ", 1000), (0x8E, "Ž", 611), (0x91, "\u{2018}", 222),
        (0x92, "\u{2019}", 222), (0x93, "\u{201C}", 333), (0x94, "\u{201D}", 333), (0x95, "•", 350),
        (0x96, "–", 556), (0x97, "—", 1000), (0x98, "˜", 333), (0x99, "™", 1000), (0x9A, "š", 500),
        (0x9B, "›", 333), (0x9C, "œ", 944), (0x9E, "ž", 500), (0x9F, "Ÿ", 667),
    ]

    private static let fromHighTable = Dictionary(uniqueKeysWithValues: highTable.map { ($0.1.value, $0.0) })

    private static let highWidths: [Int?] = (0x80...0x9F).map { code in
        highTable.first { $0.0 == code }?.2
    }

    /// Widths of 0x20 (space) through 0x7E (`~`).
    private static let asciiWidths = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    ]

    /// Widths of 0xA0 (no-break space) through 0xFF (`ÿ`).
    private static let latin1Widths = [
        278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
        400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
        667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
        722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
        556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
    ]
}
