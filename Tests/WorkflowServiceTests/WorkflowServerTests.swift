import AccessControl
import Foundation
import GRPCHealth
import GRPCReflection
import HTTP2Transport
import Logging
import MessageRuntime
import NIOPosix
import RPCCore
import Testing
import WorkflowMessages
import WorkflowService

/// The whole service in-process: engine on the server's event loop, real sockets on 127.0.0.1,
/// and the project's own gRPC client.
private func withServer(authenticator: CallerAuthenticator = .off, _ body: (GRPCClient) async throws -> Void) async throws {
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let server = WorkflowServer(
        configuration: .init(transport: .init(host: "127.0.0.1", port: 0), authenticator: authenticator),
        environment: try .temporary(), logger: logger
    )
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

/// Every service the server offers, as its generated descriptors declare it.
private let offeredServices = [
    WorkflowV1.WorkflowService.descriptor, WorkflowV1.WorkerService.descriptor, HealthV1.Health.descriptor,
    ReflectionV1.ServerReflection.descriptor, ReflectionV1Alpha.ServerReflection.descriptor,
]

/// How a call of `path` with an empty request ends: `nil` for OK, otherwise its status.
///
/// A stream is read up to its first message, then dropped (which cancels the call); a method
/// with a request stream is called as a unary one (one request message, then the end of the
/// requests), which its handler takes like any other stream.
private func outcome(of path: String, kind: RPCKind, on client: GRPCClient) async -> RPCStatus? {
    do throws(RPCStatus) {
        switch kind {
        case .unary, .clientStreaming, .bidirectionalStreaming:
            _ = try await client.unary(path: path, request: [], timeout: .seconds(1))
        case .serverStreaming:
            // WatchLogs on an empty server sends nothing: it ends DEADLINE_EXCEEDED.
            for try await _ in client.serverStreaming(path: path, request: [], timeout: .milliseconds(500)) {
                break
            }
        }
        return nil
    } catch {
        return error
    }
}

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
            // A second in all, so that the first read comes before the end even on a loaded
            // machine (150 ms was not: the whole suite in parallel on 2 cores).
            let started = try await start(client, ["jobs": "1", "steps": "5", "step_delay_ms": "200"])
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

    @Test("connections spread over four event loops start, watch and read one another's workflows")
    func connectionsOnSeveralLoopsShareOneEngine() async throws {
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = WorkflowServer(
            configuration: .init(transport: .init(host: "127.0.0.1", port: 0), eventLoops: 4),
            environment: try .temporary(), logger: logger
        )
        let port = try await server.start()
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var clients: [GRPCClient] = []
        for _ in 0..<8 {
            clients.append(try await GRPCClient.connect(host: "127.0.0.1", port: port, group: clientGroup))
        }
        let params = ["jobs": "2", "steps": "3", "step_delay_ms": "0"]
        let started = try await withThrowingTaskGroup(of: [String].self) { group in
            for client in clients {
                group.addTask {
                    var ids: [String] = []
                    for _ in 0..<5 { ids.append(try await start(client, params).workflowID) }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(started.flatMap { $0 }).count == 40)
        // Each connection follows and reads the workflows another connection started.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in clients.enumerated() {
                let others = started[(index + 1) % started.count]
                group.addTask {
                    for id in others {
                        let events = try await watch(client, .init(workflowID: id))
                        #expect(events.map(\.kind).last == .workflowCompleted)
                        #expect(events.filter { $0.kind == .stepLogged }.count == 6)
                        let bytes = try await client.unary(path: Method.getWorkflow.path, request: WorkflowV1.GetWorkflowRequest(workflowID: id).serializedBytes())
                        let workflow = try WorkflowV1.Workflow(serializedBytes: bytes)
                        #expect(workflow.status == .completed && workflow.jobs.allSatisfy { $0.steps.count == 3 })
                    }
                }
            }
            try await group.waitForAll()
        }
        let counted = try WorkflowV1.CountWorkflowsResponse(
            serializedBytes: try await clients[0].unary(path: Method.countWorkflows.path, request: WorkflowV1.CountWorkflowsRequest().serializedBytes())
        )
        #expect(counted.counts.map(\.count).reduce(0, +) == 40)
        for client in clients { await client.close() }
        try await clientGroup.shutdownGracefully()
        try await server.stop()
    }

    @Test("with authentication on, every method of workflow.v1 refuses a call without credentials; health and reflection stay open")
    func everyWorkflowMethodNeedsCredentials() async throws {
        let tokens = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        try "\(String(repeating: "0", count: 64)) nobody viewer\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let authenticator = try await CallerAuthenticator.load(.tokens(path: tokens))
        try await withServer(authenticator: authenticator) { client in
            // Read from the descriptors, not from a list kept by hand: a method added to the
            // .proto is checked here as soon as it is generated.
            for service in [WorkflowV1.WorkflowService.descriptor, WorkflowV1.WorkerService.descriptor] {
                for method in service.methods {
                    let status = await outcome(of: method.path, kind: method.kind, on: client)
                    #expect(status?.code == .unauthenticated, "\(method.path) answered \(String(describing: status)) without credentials")
                }
            }
            // Open: Check answers SERVING, Watch sends its first status (then the stream is
            // dropped: OK), reflection answers (its empty request is an error message, not a status).
            for service in [HealthV1.Health.descriptor, ReflectionV1.ServerReflection.descriptor, ReflectionV1Alpha.ServerReflection.descriptor] {
                for method in service.methods {
                    let status = await outcome(of: method.path, kind: method.kind, on: client)
                    #expect(status == nil, "\(method.path) answered \(String(describing: status)) without credentials")
                }
            }
        }
    }

    @Test func theServerServesExactlyTheMethodsOfItsServiceDescriptors() async throws {
        try await withServer { client in
            for service in offeredServices {
                for method in service.methods {
                    let status = await outcome(of: method.path, kind: method.kind, on: client)
                    #expect(status?.code != .unimplemented, "\(method.path) is not routed: \(String(describing: status))")
                }
                let unknown = "/\(service.fullName)/Nope"
                let status = await outcome(of: unknown, kind: .unary, on: client)
                #expect(status == RPCStatus(code: .unimplemented, message: "Method not found: \(unknown)"))
            }
            let otherService = await outcome(of: "/workflow.v9.Other/StartWorkflow", kind: .unary, on: client)
            #expect(otherService == RPCStatus(code: .unimplemented, message: "Unknown service: workflow.v9.Other"))

            // No service beyond these: reflection lists the router's services, in both versions.
            for method in [ReflectionV1.ServerReflection.serverReflectionInfo, ReflectionV1Alpha.ServerReflection.serverReflectionInfo] {
                let request = ReflectionV1Alpha.ServerReflectionRequest(messageRequest: .listServices(""))
                let bytes = try await client.unary(path: method.path, request: request.serializedBytes(), timeout: .seconds(5))
                let answer = try ReflectionV1Alpha.ServerReflectionResponse(serializedBytes: bytes)
                guard case .listServicesResponse(let list) = answer.messageResponse else {
                    Issue.record("\(method.path) answered \(String(describing: answer.messageResponse))")
                    continue
                }
                #expect(Set(list.service.map(\.name)) == Set(offeredServices.map(\.fullName)))
            }
        }
    }
}
