import HTTP2Transport
import Logging
import NIOPosix
import RPCCore
import Testing
import WorkflowMessages
import WorkflowService

/// The whole service in-process: engine on the server's event loop, real sockets on 127.0.0.1,
/// and the project's own gRPC client.
private func withServer(_ body: (GRPCClient) async throws -> Void) async throws {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let server = WorkflowServer(configuration: .init(transport: .init(host: "127.0.0.1", port: 0)), logger: logger)
    let port = try await server.start()
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    do {
        let client = try await GRPCClient.connect(host: "127.0.0.1", port: port, group: clientGroup)
        do {
            try await body(client)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    } catch {
        try await clientGroup.shutdownGracefully()
        try await server.stop()
        throw error
    }
    try await clientGroup.shutdownGracefully()
    try await server.stop()
}

private typealias Method = WorkflowV1.WorkflowService

private func start(_ client: GRPCClient, _ params: [String: String]) async throws -> WorkflowV1.StartWorkflowResponse {
    let request = WorkflowV1.StartWorkflowRequest(type: "TEST", params: params, userID: "u-1", summary: "server test")
    return try WorkflowV1.StartWorkflowResponse(serializedBytes: try await client.unary(path: Method.startWorkflow.path, request: request.serializedBytes()))
}

private func watch(_ client: GRPCClient, _ request: WorkflowV1.WatchLogsRequest) async throws -> [WorkflowV1.LogEvent] {
    var events: [WorkflowV1.LogEvent] = []
    for try await message in client.serverStreaming(path: Method.watchLogs.path, request: request.serializedBytes(), timeout: .seconds(30)) {
        events.append(try WorkflowV1.LogEvent(serializedBytes: message))
    }
    return events
}

@Suite struct WorkflowServerTests {
    @Test func startGetAndWatchThroughTheWholeStack() async throws {
        try await withServer { client in
            let started = try await start(client, ["jobs": "2", "steps": "3", "step_delay_ms": "1"])
            #expect(started.status == .running)

            let events = try await watch(client, .init(workflowID: started.workflowID))
            #expect(events.first?.kind == .workflowStarted)
            #expect(events.last?.kind == .workflowCompleted)
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
            #expect(events.filter { $0.kind == .stepLogged }.count == 6)

            let bytes = try await client.unary(path: Method.getWorkflow.path, request: WorkflowV1.GetWorkflowRequest(workflowID: started.workflowID).serializedBytes())
            let workflow = try WorkflowV1.Workflow(serializedBytes: bytes)
            #expect(workflow.status == .completed)
            #expect(workflow.jobs.map(\.name) == ["Fetch", "Process"])
            #expect(workflow.jobs.allSatisfy { $0.status == .completed && $0.steps.count == 3 })
            #expect(workflow.stats?.counters["itemsProcessed"] == 6)
        }
    }

    @Test func getWorkflowAnswersFollowTheWorkflowAsItChanges() async throws {
        try await withServer { client in
            let started = try await start(client, ["jobs": "1", "steps": "5", "step_delay_ms": "30"])
            let request = WorkflowV1.GetWorkflowRequest(workflowID: started.workflowID).serializedBytes()
            let early = try WorkflowV1.Workflow(serializedBytes: try await client.unary(path: Method.getWorkflow.path, request: request))
            #expect(early.status == .running)
            #expect(early.jobs[0].steps.count < 5)

            _ = try await watch(client, .init(workflowID: started.workflowID))
            let done = try WorkflowV1.Workflow(serializedBytes: try await client.unary(path: Method.getWorkflow.path, request: request))
            #expect(done.status == .completed)
            #expect(done.jobs[0].steps.count == 5)
            let again = try WorkflowV1.Workflow(serializedBytes: try await client.unary(path: Method.getWorkflow.path, request: request))
            #expect(again == done)
        }
    }

    @Test func engineErrorsBecomePreciseStatuses() async throws {
        try await withServer { client in
            let unknownType = await #expect(throws: RPCStatus.self) {
                _ = try await client.unary(path: Method.startWorkflow.path, request: WorkflowV1.StartWorkflowRequest(type: "NOPE").serializedBytes())
            }
            #expect(unknownType?.code == .invalidArgument)
            #expect(unknownType?.message.contains("TEST") == true)

            let badParam = await #expect(throws: RPCStatus.self) {
                _ = try await start(client, ["steps": "-1"])
            }
            #expect(badParam?.code == .invalidArgument)
            #expect(badParam?.message.contains("steps") == true)

            let missing = await #expect(throws: RPCStatus.self) {
                _ = try await client.unary(path: Method.getWorkflow.path, request: WorkflowV1.GetWorkflowRequest(workflowID: "wf-nope").serializedBytes())
            }
            #expect(missing?.code == .notFound)

            let watchMissing = await #expect(throws: RPCStatus.self) {
                _ = try await watch(client, .init(workflowID: "wf-nope"))
            }
            #expect(watchMissing?.code == .notFound)

            let ahead = await #expect(throws: RPCStatus.self) {
                _ = try await watch(client, .init(afterSequence: 1 << 40))
            }
            #expect(ahead?.code == .outOfRange)

            let garbage = await #expect(throws: RPCStatus.self) {
                _ = try await client.unary(path: Method.getWorkflow.path, request: [0xFF, 0xFF, 0xFF])
            }
            #expect(garbage?.code == .invalidArgument)
        }
    }

    @Test func aRepeatedRequestIDAnswersWithTheExistingWorkflowInItsCurrentState() async throws {
        try await withServer { client in
            let request = WorkflowV1.StartWorkflowRequest(type: "TEST", params: ["steps": "1", "step_delay_ms": "0"], requestID: "req-7")
            let first = try WorkflowV1.StartWorkflowResponse(serializedBytes: try await client.unary(path: Method.startWorkflow.path, request: request.serializedBytes()))
            _ = try await watch(client, .init(workflowID: first.workflowID))

            let again = try WorkflowV1.StartWorkflowResponse(serializedBytes: try await client.unary(path: Method.startWorkflow.path, request: request.serializedBytes()))
            #expect(again.workflowID == first.workflowID)
            #expect(again.status == .completed)
        }
    }

    @Test func twoHundredConcurrentStartsAllSucceedWithDistinctIDs() async throws {
        try await withServer { client in
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await start(client, ["jobs": "1", "steps": "1", "step_delay_ms": "0"]).workflowID }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(ids.count == 200)
        }
    }
}
