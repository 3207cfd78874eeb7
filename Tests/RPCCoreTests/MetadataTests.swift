import HeaderFields
import Testing
@testable import RPCCore

@Suite struct MetadataTests {
    @Test func keepsOrderAndLowercasesNames() {
        var metadata = Metadata()
        metadata.addString("1", forKey: "X-Request-ID")
        metadata.addBinary([1, 2], forKey: "trace-bin")
        metadata.addString("2", forKey: "x-request-id")
        let pairs = metadata.map { "\($0.name)=\($0.value)" }
        #expect(pairs == ["x-request-id=1", "trace-bin=<2 bytes>", "x-request-id=2"])
        #expect(metadata.count == 3)
        #expect(!metadata.isEmpty)
    }

    @Test func lookupIgnoresCaseAndSeparatesKinds() {
        let metadata: Metadata = ["a": "1", "A-Bin": .binary([9]), "a": "2", "b": "3"]
        #expect(metadata[stringValues: "A"] == ["1", "2"])
        #expect(metadata[binaryValues: "a-BIN"] == [[9]])
        #expect(metadata[stringValues: "a-bin"].isEmpty)
        #expect(metadata["b"] == [.string("3")])
        #expect(metadata.firstString(forKey: "A") == "1")
        #expect(metadata.firstString(forKey: "missing") == nil)
    }

    @Test func removesAllValuesForAKey() {
        var metadata: Metadata = ["a": "1", "b": "2", "A": "3"]
        metadata.removeAllValues(forKey: "a")
        #expect(metadata.map(\.name) == ["b"])
    }

    @Test(arguments: [
        ("AQID", [UInt8]([1, 2, 3])),
        ("AQIDBA==", [1, 2, 3, 4]),
        ("AQIDBA", [1, 2, 3, 4]),
        ("AQIDBAU=", [1, 2, 3, 4, 5]),
        ("AQIDBAU", [1, 2, 3, 4, 5]),
        ("", []),
        ("+/+/", [0xFB, 0xFF, 0xBF]),
    ])
    func binaryHeadersAcceptPaddedAndUnpadded(value: String, expected: [UInt8]) throws {
        var metadata = Metadata()
        try metadata.addReceivedHeader(name: "data-bin", value: value)
        #expect(metadata[binaryValues: "data-bin"] == [expected])
    }

    @Test func commaJoinedBinaryValuesBecomeSeparatePairs() throws {
        var metadata = Metadata()
        try metadata.addReceivedHeader(name: "data-bin", value: "AQ==,AgM")
        #expect(metadata[binaryValues: "data-bin"] == [[1], [2, 3]])
    }

    @Test(arguments: ["A", "AQIDB", "AQ=", "A===", "AQ==AQ==", "AQ!D", "AQ ID", "-_-_", "AQ=D", "===="])
    func invalidBase64IsAnInternalError(value: String) {
        var metadata = Metadata()
        #expect {
            try metadata.addReceivedHeader(name: "data-bin", value: value)
        } throws: { error in
            (error as? RPCStatus)?.code == .internalError
        }
    }

    @Test func textHeadersAreNotDecoded() throws {
        var metadata = Metadata()
        try metadata.addReceivedHeader(name: "data", value: "AQ==")
        #expect(metadata[stringValues: "data"] == ["AQ=="])
    }

    @Test func encodesBinaryValuesUnpaddedAndSkipsReservedNames() {
        let metadata: Metadata = [
            "x-id": "7", "trace-bin": .binary([1, 2, 3, 4]), "content-type": "text/html",
            ":status": "500", "grpc-status": "0", "te": "trailers", "user-agent": "me",
        ]
        var fields: [HeaderField] = []
        metadata.appendHeaderFields(to: &fields)
        #expect(fields == [
            HeaderField(name: "x-id", value: "7"),
            HeaderField(name: "trace-bin", value: "AQIDBA"),
            HeaderField(name: "user-agent", value: "me"),
        ])
    }

    @Test func binaryValuesRoundTripThroughHeaders() throws {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            var fields: [HeaderField] = []
            Metadata(dictionaryLiteral: ("b-bin", .binary(bytes))).appendHeaderFields(to: &fields)
            var decoded = Metadata()
            try decoded.addReceivedHeader(name: fields[0].name, value: fields[0].value)
            #expect(decoded[binaryValues: "b-bin"] == [bytes])
        }
    }

    @Test(arguments: [
        ":path", ":authority", "content-type", "te", "grpc-timeout", "grpc-encoding",
        "grpc-accept-encoding", "grpc-message-type", "grpc-status", "grpc-message", "connection",
    ])
    func reservedNames(name: String) {
        #expect(Metadata.isReserved(name))
    }

    @Test(arguments: ["user-agent", "authorization", "x-custom", "grpc-trace-bin", "grpc-status-details-bin", "content-language"])
    func unreservedNames(name: String) {
        #expect(!Metadata.isReserved(name))
    }
}
