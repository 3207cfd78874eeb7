import Foundation
import HTTP2Transport
import RPCCore
import Testing
import TransportTLS

/// Certificates made with `openssl` in a temporary folder: an authority, a server certificate
/// for 127.0.0.1 and localhost, a client certificate, and another authority's client.
private struct TestPKI {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try authority("ca")
        try authority("other-ca")
        try leaf("server", signedBy: "ca", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1")
        try leaf("client", signedBy: "ca", extensions: "extendedKeyUsage=clientAuth")
        try leaf("stranger", signedBy: "other-ca", extensions: "extendedKeyUsage=clientAuth")
    }

    func path(_ name: String) -> String {
        folder.appendingPathComponent(name).path
    }

    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }

    private func authority(_ name: String) throws {
        try openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "\(name).key", "-out", "\(name).crt", "-days", "2", "-subj", "/CN=\(name)")
    }

    private func leaf(_ name: String, signedBy authority: String, extensions: String) throws {
        try Data("\(extensions)\n".utf8).write(to: folder.appendingPathComponent("\(name).ext"))
        try openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)")
        try openssl("x509", "-req", "-in", "\(name).csr", "-CA", "\(authority).crt", "-CAkey", "\(authority).key",
                    "-CAcreateserial", "-out", "\(name).crt", "-days", "2", "-extfile", "\(name).ext")
    }

    private func openssl(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "openssl \(arguments.joined(separator: " ")) failed"])
        }
    }
}

@Suite("gRPC over TLS, real sockets", .timeLimit(.minutes(1)))
struct GRPCOverTLSTests {
    @Test("a client over TLS calls a server over TLS; the request says https; a plaintext client gets no answer")
    func serverOnlyTLS() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tls = try ServerTLSContext(files: TLSFiles(certificateChain: pki.path("server.crt"), privateKey: pki.path("server.key")),
                                       applicationProtocols: ["h2"])
        try await withTestServer(tls: tls) { server in
            let clientTLS = try ClientTLSContext(trustedAuthorities: pki.path("ca.crt"))
            try await withClient(server, configuration: GRPCClientConfiguration(tls: clientTLS)) { client in
                let reply = try await client.unary(path: "/test.Echo/Unary", request: Array("hello".utf8))
                #expect(reply == Array("hello".utf8))
            }
            let plaintext = await failure {
                let client = try await server.connect(configuration: GRPCClientConfiguration(connectTimeout: .seconds(2)))
                defer { Task { await client.close() } }
                _ = try await client.unary(path: "/test.Echo/Unary", request: [], timeout: .seconds(2))
            }
            #expect(plaintext != nil)
            // A client that trusts another authority refuses the server's certificate.
            let distrustful = await failure {
                let other = try ClientTLSContext(trustedAuthorities: pki.path("other-ca.crt"))
                let client = try await server.connect(configuration: GRPCClientConfiguration(tls: other))
                defer { Task { await client.close() } }
                _ = try await client.unary(path: "/test.Echo/Unary", request: [], timeout: .seconds(5))
            }
            #expect(distrustful?.code == .unavailable)
        }
    }

    @Test("mutual TLS: the authority's client is served; no certificate or another authority's is refused")
    func mutualTLS() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let files = TLSFiles(certificateChain: pki.path("server.crt"), privateKey: pki.path("server.key"),
                             clientCertificateAuthorities: pki.path("ca.crt"))
        let tls = try ServerTLSContext(files: files, applicationProtocols: ["h2"])
        #expect(tls.requiresClientCertificates)
        try await withTestServer(tls: tls) { server in
            let member = try ClientTLSContext(trustedAuthorities: pki.path("ca.crt"), certificateChain: pki.path("client.crt"),
                                              privateKey: pki.path("client.key"))
            try await withClient(server, configuration: GRPCClientConfiguration(tls: member)) { client in
                let reply = try await client.unary(path: "/test.Echo/Unary", request: [7])
                #expect(reply == [7])
            }
            for refused in [
                try ClientTLSContext(trustedAuthorities: pki.path("ca.crt")),
                try ClientTLSContext(trustedAuthorities: pki.path("ca.crt"), certificateChain: pki.path("stranger.crt"),
                                     privateKey: pki.path("stranger.key")),
            ] {
                let status = await failure {
                    let client = try await server.connect(configuration: GRPCClientConfiguration(tls: refused))
                    defer { Task { await client.close() } }
                    _ = try await client.unary(path: "/test.Echo/Unary", request: [], timeout: .seconds(5))
                }
                #expect(status?.code == .unavailable)
            }
        }
    }

    @Test("unusable files are refused naming the file; a failed reload keeps the credentials in use")
    func unusableFiles() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let missing = pki.path("missing.key")
        #expect(throws: TLSSetupError.self) {
            _ = try ServerTLSContext(files: TLSFiles(certificateChain: pki.path("server.crt"), privateKey: missing), applicationProtocols: ["h2"])
        }
        do {
            _ = try ServerTLSContext(files: TLSFiles(certificateChain: pki.path("server.crt"), privateKey: missing), applicationProtocols: ["h2"])
        } catch {
            #expect(error.description.contains(missing))
        }
        let empty = pki.path("empty.crt")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        for notAuthorities in [empty, pki.path("ca.key")] {
            do {
                _ = try ClientTLSContext(trustedAuthorities: notAuthorities)
                Issue.record("\(notAuthorities) was taken for certificate authorities")
            } catch {
                #expect(error.description.contains("the certificate authorities \(notAuthorities)"), "\(error)")
            }
        }
        let mismatched = TLSFiles(certificateChain: pki.path("server.crt"), privateKey: pki.path("client.key"))
        #expect(throws: TLSSetupError.self) { _ = try ServerTLSContext(files: mismatched, applicationProtocols: ["h2"]) }

        let replaceable = pki.path("live.crt")
        try FileManager.default.copyItem(atPath: pki.path("server.crt"), toPath: replaceable)
        let tls = try ServerTLSContext(files: TLSFiles(certificateChain: replaceable, privateKey: pki.path("server.key")), applicationProtocols: ["h2"])
        try FileManager.default.removeItem(atPath: replaceable)
        #expect(throws: TLSSetupError.self) { try tls.reload() }
        #expect(tls.makeHandlers().count == 1, "still hands out the credentials it had")
    }
}
