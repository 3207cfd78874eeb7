import HeaderFields
import Testing
import RPCCore

@Suite struct GRPCResponseHeadersTests {
    @Test func headIsStatus200AndGRPCContentType() {
        #expect(GRPCResponseHeaders.head == [
            HeaderField(name: ":status", value: "200"),
            HeaderField(name: "content-type", value: "application/grpc"),
            HeaderField(name: "grpc-accept-encoding", value: "identity"),
        ])
        #expect(GRPCResponseHeaders.head(metadata: Metadata()) == GRPCResponseHeaders.head)
    }

    @Test func headWithMetadataAppendsIt() {
        let fields = GRPCResponseHeaders.head(metadata: ["x-server": "w1", "content-type": "bad"])
        #expect(fields == GRPCResponseHeaders.head + [HeaderField(name: "x-server", value: "w1")])
    }

    @Test func okTrailersCarryOnlyTheStatus() {
        #expect(GRPCResponseHeaders.trailers(.ok) == [HeaderField(name: "grpc-status", value: "0")])
    }

    @Test func errorTrailersCarryAPercentEncodedMessage() {
        let trailers = GRPCResponseHeaders.trailers(RPCStatus(code: .notFound, message: "workflow «x» 100% gone\n"))
        #expect(trailers == [
            HeaderField(name: "grpc-status", value: "5"),
            HeaderField(name: "grpc-message", value: "workflow %C2%ABx%C2%BB 100%25 gone%0A"),
        ])
        #expect(GRPCStatusMessage.percentDecode(trailers[1].value) == "workflow «x» 100% gone\n")
    }

    @Test func emptyMessagesAreNotSent() {
        #expect(GRPCResponseHeaders.trailers(RPCStatus(code: .internalError)) == [HeaderField(name: "grpc-status", value: "13")])
    }

    @Test func everyCodeIsSentAsItsNumber() {
        for code in RPCStatus.Code.allCodes {
            let trailers = GRPCResponseHeaders.trailers(RPCStatus(code: code))
            #expect(trailers == [HeaderField(name: "grpc-status", value: String(code.rawValue))])
        }
    }

    @Test func trailersIncludeTrailingMetadata() {
        let trailers = GRPCResponseHeaders.trailers(.ok, metadata: ["x-cost": "3", "grpc-status": "2"])
        #expect(trailers == [HeaderField(name: "grpc-status", value: "0"), HeaderField(name: "x-cost", value: "3")])
    }

    @Test func trailersOnlyIsOneCompleteHeaderBlock() {
        let fields = GRPCResponseHeaders.trailersOnly(RPCStatus(code: .unimplemented, message: "Method not found: /a/b"))
        #expect(fields == [
            HeaderField(name: ":status", value: "200"),
            HeaderField(name: "content-type", value: "application/grpc"),
            HeaderField(name: "grpc-accept-encoding", value: "identity"),
            HeaderField(name: "grpc-status", value: "12"),
            HeaderField(name: "grpc-message", value: "Method not found: /a/b"),
        ])
    }

    @Test func trailersOnlyWithoutMessageOrWithMetadata() {
        let fields = GRPCResponseHeaders.trailersOnly(RPCStatus(code: .deadlineExceeded), metadata: ["x-a": "1"])
        #expect(fields == GRPCResponseHeaders.head + [
            HeaderField(name: "grpc-status", value: "4"),
            HeaderField(name: "x-a", value: "1"),
        ])
    }
}
