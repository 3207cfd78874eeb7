import Testing
@testable import HTTPGateway

@Suite("File transfers over HTTP")
struct FileTransfersTests {
    @Test("only Range: bytes=N- is read; any other form is ignored", arguments: [
        ("bytes=0-", Int64?.some(0)), ("bytes=1024-", 1024), ("bytes=-5-", nil), ("bytes=-5", nil), ("bytes=0-10", nil),
        ("bytes=1-2,4-", nil), ("items=5-", nil), ("bytes=-", nil), ("bytes=١-", nil), ("bytes=99999999999999999999-", nil),
    ])
    func rangeStart(header: String, start: Int64?) {
        #expect(FileTransfers.rangeStart(header) == start)
    }

    @Test("Content-Disposition keeps plain names and adds an RFC 5987 name for the rest")
    func contentDisposition() {
        #expect(FileTransfers.contentDisposition(filename: "assets.xlsx") == #"attachment; filename="assets.xlsx""#)
        #expect(FileTransfers.contentDisposition(filename: #"Kühler "A".csv"#)
            == #"attachment; filename="K_hler _A_.csv"; filename*=UTF-8''K%C3%BChler%20%22A%22.csv"#)
    }

    @Test("framed messages are split, and a cut-off last one is left out")
    func messages() {
        let framed: [UInt8] = [0, 0, 0, 0, 2, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1]
        #expect(FramedMessages.split(framed) == [[7, 8], []])
    }
}
