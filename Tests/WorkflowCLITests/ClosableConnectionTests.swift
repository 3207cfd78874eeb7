import Synchronization
import Testing
@testable import WorkflowCLI

/// `withConnection(opening:_:)` without a socket: a stand-in connection counts its closes.
@Suite struct ClosableConnectionTests {
    final class CountingConnection: ClosableConnection {
        let closes = Mutex(0)

        var closeCount: Int { closes.withLock { $0 } }

        func close() async {
            closes.withLock { $0 += 1 }
        }
    }

    let connection = CountingConnection()
    let serverError = CommandFailure(exitStatus: .serverError, message: "GetWorkflow wf-1 failed: NOT_FOUND")

    @Test func closesTheConnectionAfterTheBodyReturns() async throws {
        let connection = self.connection
        let answer = try await CountingConnection.withConnection(opening: { connection }) { opened in
            #expect(opened === connection)
            #expect(opened.closeCount == 0)
            return 42
        }
        #expect(answer == 42)
        #expect(connection.closeCount == 1)
    }

    @Test func closesTheConnectionAndPassesOnTheBodysFailure() async {
        let connection = self.connection
        let failure = serverError
        await #expect(throws: failure) {
            try await CountingConnection.withConnection(opening: { connection }) { _ throws(CommandFailure) in
                throw failure
            }
        }
        #expect(connection.closeCount == 1)
    }

    @Test func aFailureToConnectSkipsTheBody() async {
        let unreachable = CommandFailure.unreachable(ServerAddress(host: "127.0.0.1", port: 1), detail: "connection refused")
        let ranBody = Mutex(false)
        await #expect(throws: unreachable) {
            try await CountingConnection.withConnection(opening: { () throws(CommandFailure) -> CountingConnection in
                throw unreachable
            }) { _ in
                ranBody.withLock { $0 = true }
            }
        }
        #expect(!ranBody.withLock { $0 })
    }

    @Test func closesAgainAfterABodyThatClosedTheConnection() async throws {
        let connection = self.connection
        try await CountingConnection.withConnection(opening: { connection }) { opened in
            await opened.close()
        }
        #expect(connection.closeCount == 2)
    }
}
