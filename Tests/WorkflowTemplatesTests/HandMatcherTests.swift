import Testing
@testable import WorkflowTemplates

/// The hand-written matchers against the regular expressions they stand for.
@Suite("Hand-written matchers")
struct HandMatcherTests {
    /// Every string of up to `length` characters from `alphabet`, plus `extra`.
    static func strings(_ alphabet: [Character], upTo length: Int, extra: [String]) -> [String] {
        var all = [""]
        var frontier = [""]
        for _ in 0..<length {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + String($0) } }
            all += frontier
        }
        return all + extra
    }

    @Test("isNumber accepts exactly -?(0|[1-9][0-9]*)(\\.[0-9]*[1-9])? with at most 15 digits, not -0")
    func numbers() {
        let regex = /-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?/
        let cases = Self.strings(["-", "0", "1", "9", "."], upTo: 5, extra: [
            "15", "7.5", "-3", "0042", "1.50", "1e5", " 1", "1 ", "١٢", "123456789012345", "1234567890123456", "-0.5", "0.000001",
        ])
        for text in cases {
            let expected = text != "-0" && text.wholeMatch(of: regex) != nil && text.filter(\.isNumber).count <= 15
            #expect(AssetTable.isNumber(text) == expected, "\"\(text)\"")
        }
    }

    @Test("isTag accepts exactly [A-Z]{1,4}-[0-9]{1,6}[A-Z]?")
    func tags() {
        let regex = /[A-Z]{1,4}-[0-9]{1,6}[A-Z]?/
        let cases = Self.strings(["A", "-", "1", "a"], upTo: 5, extra: [
            "P-101", "XV-2001", "P-101A", "ABCDE-1", "ABCD-1234567", "P-101AB", "P_104", "p-101", "P-", "-1", "Ä-1", "P-١",
        ])
        for text in cases {
            #expect(ImportValidation.isTag(text) == (text.wholeMatch(of: regex) != nil), "\"\(text)\"")
        }
    }
}
