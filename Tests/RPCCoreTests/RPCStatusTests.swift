import Testing
import RPCCore

@Suite struct RPCStatusTests {
    @Test func allSeventeenCodesHaveTheirNumbersAndNames() {
        let expected: [(RPCStatus.Code, Int, String)] = [
            (.ok, 0, "OK"), (.cancelled, 1, "CANCELLED"), (.unknown, 2, "UNKNOWN"),
            (.invalidArgument, 3, "INVALID_ARGUMENT"), (.deadlineExceeded, 4, "DEADLINE_EXCEEDED"),
            (.notFound, 5, "NOT_FOUND"), (.alreadyExists, 6, "ALREADY_EXISTS"),
            (.permissionDenied, 7, "PERMISSION_DENIED"), (.resourceExhausted, 8, "RESOURCE_EXHAUSTED"),
            (.failedPrecondition, 9, "FAILED_PRECONDITION"), (.aborted, 10, "ABORTED"),
            (.outOfRange, 11, "OUT_OF_RANGE"), (.unimplemented, 12, "UNIMPLEMENTED"),
            (.internalError, 13, "INTERNAL"), (.unavailable, 14, "UNAVAILABLE"),
            (.dataLoss, 15, "DATA_LOSS"), (.unauthenticated, 16, "UNAUTHENTICATED"),
        ]
        for (code, raw, name) in expected {
            #expect(code.rawValue == raw)
            #expect(code.description == name)
            #expect(RPCStatus.Code(rawValue: raw) == code)
        }
        #expect(RPCStatus.Code.allCodes == expected.map(\.0))
    }

    @Test(arguments: [-1, 17, 255, 256, Int.max, Int.min])
    func unknownRawValuesAreRejected(raw: Int) {
        #expect(RPCStatus.Code(rawValue: raw) == nil)
    }

    @Test func okHasCodeZeroAndNoMessage() {
        #expect(RPCStatus.ok.code == .ok)
        #expect(RPCStatus.ok.message.isEmpty)
        #expect(RPCStatus(code: .ok) == .ok)
    }

    @Test func statusIsAThrowableError() {
        func fail() throws(RPCStatus) { throw RPCStatus(code: .notFound, message: "no such workflow") }
        #expect(throws: RPCStatus(code: .notFound, message: "no such workflow")) { try fail() }
    }

    @Test func codesMatchInSwitchStatements() {
        let code = RPCStatus.Code.notFound
        switch code {
        case .ok: Issue.record("matched ok")
        case .notFound: break
        default: Issue.record("matched default")
        }
    }

    @Test func descriptionShowsNameAndMessage() {
        #expect(RPCStatus(code: .notFound, message: "gone").description == "NOT_FOUND: gone")
        #expect(RPCStatus.ok.description == "OK")
    }

    @Test func hashableUsesCodeAndMessage() {
        let set: Set<RPCStatus> = [
            RPCStatus(code: .internalError, message: "a"),
            RPCStatus(code: .internalError, message: "a"),
            RPCStatus(code: .internalError, message: "b"),
            RPCStatus(code: .unknown, message: "a"),
        ]
        #expect(set.count == 3)
    }
}
