import HTTP2Transport
import Logging
import NIOCore
import NIOPosix
import RPCCore
import TransportTLS

/// A running test server: the port it listens on, its probes, and its event loop group.
struct TestServer {
    let port: Int
    let probes: TestProbes
    let group: MultiThreadedEventLoopGroup
    let server: GRPCServer

    /// Connects a client to this server on the server's group.
    func connect(configuration: GRPCClientConfiguration = GRPCClientConfiguration()) async throws -> GRPCClient {
        try await GRPCClient.connect(host: "127.0.0.1", port: port, group: group, configuration: configuration)
    }
}

let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Starts a server with the test router on 127.0.0.1, port 0, one event loop; runs `body`;
/// stops the server and shuts the group down whatever happens.
func withTestServer<Result>(
    maxConnections: Int = 10_000, tls: ServerTLSContext? = nil, _ body: (TestServer) async throws -> Result
) async throws -> Result {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let probes = TestProbes()
    var configuration = GRPCServerConfiguration(host: "127.0.0.1", port: 0, maxConnections: maxConnections)
    configuration.tls = tls
    let server = GRPCServer(
        router: makeTestRouter(probes: probes),
        configuration: configuration,
        group: group,
        logger: quietLogger
    )
    let result: Swift.Result<Result, any Error>
    do {
        let port = try await server.start()
        result = .success(try await body(TestServer(port: port, probes: probes, group: group, server: server)))
    } catch {
        result = .failure(error)
    }
    try? await server.stop()
    try await group.shutdownGracefully()
    return try result.get()
}

/// Connects a client, runs `body`, closes the client.
func withClient<Result>(
    _ server: TestServer,
    configuration: GRPCClientConfiguration = GRPCClientConfiguration(),
    _ body: (GRPCClient) async throws -> Result
) async throws -> Result {
    let client = try await server.connect(configuration: configuration)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// The status a call failed with, or nil if it succeeded.
func failure(_ call: () async throws -> Void) async -> RPCStatus? {
    do {
        try await call()
        return nil
    } catch let status as RPCStatus {
        return status
    } catch {
        return RPCStatus(code: .unknown, message: "not an RPCStatus: \(error)")
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
