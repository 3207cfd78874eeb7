import RPCCore
import Testing
import WorkflowCLI

@Suite struct CommandFailureTests {
    let address = ServerAddress(host: "127.0.0.1", port: 50051)

    @Test func unreachableSaysWhereAndWhatToDo() {
        let failure = CommandFailure.rpc(RPCStatus(code: .unavailable, message: "connection refused"), call: "GetWorkflow x", address: address)
        #expect(failure.exitStatus == .unreachable)
        #expect(failure.message.contains("not reachable at 127.0.0.1:50051"))
        #expect(failure.message.contains("--address"))
    }

    @Test func serverAnswersAreExitThreeWithTheStatus() {
        let notFound = CommandFailure.rpc(RPCStatus(code: .notFound, message: "no workflow wf-1"), call: "GetWorkflow wf-1", address: address)
        #expect(notFound.exitStatus == .serverError)
        #expect(notFound.message.contains("NOT_FOUND: no workflow wf-1"))
        let invalid = CommandFailure.rpc(RPCStatus(code: .invalidArgument, message: "unknown type"), call: "StartWorkflow X", address: address)
        #expect(invalid.exitStatus == .serverError)
        let deadline = CommandFailure.rpc(RPCStatus(code: .deadlineExceeded), call: "GetWorkflow wf-1", address: address)
        #expect(deadline.exitStatus == .unreachable)
    }

    @Test func messagesStayOnOneLine() {
        let failure = CommandFailure(exitStatus: .serverError, message: "first\nsecond\u{1B}[31m")
        #expect(!failure.message.contains("\n"))
        #expect(!failure.message.contains("\u{1B}"))
    }
}
