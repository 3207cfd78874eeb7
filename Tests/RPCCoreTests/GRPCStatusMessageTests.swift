import Testing
import RPCCore

@Suite struct GRPCStatusMessageTests {
    @Test func printableASCIIPassesThrough() {
        let message = "Hello, world! ~ {}[] 0123 abc XYZ"
        #expect(GRPCStatusMessage.percentEncode(message) == message)
        #expect(GRPCStatusMessage.percentDecode(message) == message)
    }

    @Test func percentAndControlCharactersAreEscaped() {
        #expect(GRPCStatusMessage.percentEncode("100%") == "100%25")
        #expect(GRPCStatusMessage.percentEncode("a\nb\tc\r\u{0}\u{7F}") == "a%0Ab%09c%0D%00%7F")
        #expect(GRPCStatusMessage.percentEncode("%%") == "%25%25")
    }

    @Test func unicodeIsEscapedAsUppercaseUTF8() {
        #expect(GRPCStatusMessage.percentEncode("naïve") == "na%C3%AFve")
        #expect(GRPCStatusMessage.percentEncode("日本") == "%E6%97%A5%E6%9C%AC")
        #expect(GRPCStatusMessage.percentEncode("🙂") == "%F0%9F%99%82")
    }

    @Test(arguments: [
        "", "plain", "100% sure", "%", "%%41", "%zz", "line1\nline2", "tab\there",
        "naïve café", "日本語のメッセージ", "emoji 🙂🚀 and % and \u{0}\u{1}\u{1F}\u{7F}",
        String(repeating: "ß%\n", count: 100),
    ])
    func roundTrips(message: String) {
        let encoded = GRPCStatusMessage.percentEncode(message)
        #expect(encoded.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E })
        #expect(GRPCStatusMessage.percentDecode(encoded) == message)
    }

    @Test func decodingAcceptsLowercaseHex() {
        #expect(GRPCStatusMessage.percentDecode("na%c3%afve") == "naïve")
    }

    @Test func malformedEscapesPassThroughLiterally() {
        #expect(GRPCStatusMessage.percentDecode("100%") == "100%")
        #expect(GRPCStatusMessage.percentDecode("%4") == "%4")
        #expect(GRPCStatusMessage.percentDecode("%zz%41") == "%zzA")
        #expect(GRPCStatusMessage.percentDecode("%%41") == "%A")
        #expect(GRPCStatusMessage.percentDecode("a%G1b") == "a%G1b")
    }

    @Test func invalidUTF8IsRepaired() {
        #expect(GRPCStatusMessage.percentDecode("a%FFb") == "a\u{FFFD}b")
        #expect(GRPCStatusMessage.percentDecode("%C3") == "\u{FFFD}")
        #expect(GRPCStatusMessage.percentDecode("%C3%28") == "\u{FFFD}(")
    }
}
