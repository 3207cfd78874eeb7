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
        try leaf("other-server", signedBy: "other-ca", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1")
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
    /// How one unary call from a new client with `tls` (plaintext when `nil`) fails; `nil` if it
    /// succeeds.
    private static func status(ofACallTo server: TestServer, tls: ClientTLSContext?) async -> RPCStatus? {
        await failure {
            try await withClient(server, configuration: GRPCClientConfiguration(connectTimeout: .seconds(2), tls: tls)) { client in
                _ = try await client.unary(path: "/test.Echo/Unary", request: [], timeout: .seconds(5))
            }
        }
    }

    @Test("a client over TLS calls a server over TLS; a plaintext client and one that trusts another authority get no answer")
    func serverOnlyTLS() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tls = try ServerTLSContext(files: TLSFiles(certificateChain: pki.path("server.crt"), privateKey: pki.path("server.key")))
        try await withTestServer(tls: tls) { server in
            let clientTLS = try ClientTLSContext(trustedAuthorities: pki.path("ca.crt"))
            try await withClient(server, configuration: GRPCClientConfiguration(tls: clientTLS)) { client in
                let reply = try await client.unary(path: "/test.Echo/Unary", request: Array("hello".utf8))
                #expect(reply == Array("hello".utf8))
            }
            #expect(await Self.status(ofACallTo: server, tls: nil) != nil, "plaintext")
            let other = try ClientTLSContext(trustedAuthorities: pki.path("other-ca.crt"))
            #expect(await Self.status(ofACallTo: server, tls: other)?.code == .unavailable)
        }
    }

    @Test("mutual TLS: the authority's client is served; no certificate or another authority's is refused")
    func mutualTLS() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let files = TLSFiles(certificateChain: pki.path("server.crt"), privateKey: pki.path("server.key"),
                             clientCertificateAuthorities: pki.path("ca.crt"))
        let tls = try ServerTLSContext(files: files)
        #expect(tls.requiresClientCertificates)
        try await withTestServer(tls: tls) { server in
            let member = try ClientTLSContext(trustedAuthorities: pki.path("ca.crt"), clientCertificate: (pki.path("client.crt"), pki.path("client.key")))
            try await withClient(server, configuration: GRPCClientConfiguration(tls: member)) { client in
                let reply = try await client.unary(path: "/test.Echo/Unary", request: [7])
                #expect(reply == [7])
            }
            for refused in [
                try ClientTLSContext(trustedAuthorities: pki.path("ca.crt")),
                try ClientTLSContext(trustedAuthorities: pki.path("ca.crt"), clientCertificate: (pki.path("stranger.crt"), pki.path("stranger.key"))),
            ] {
                #expect(await Self.status(ofACallTo: server, tls: refused)?.code == .unavailable)
            }
        }
    }

    @Test("unusable files are refused naming the file; a failed reload keeps the credentials in use")
    func unusableFiles() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let missing = pki.path("missing.key")
        #expect(throws: TLSSetupError.self) {
            _ = try ServerTLSContext(files: TLSFiles(certificateChain: pki.path("server.crt"), privateKey: missing))
        }
        do {
            _ = try ServerTLSContext(files: TLSFiles(certificateChain: pki.path("server.crt"), privateKey: missing))
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
        #expect(throws: TLSSetupError.self) { _ = try ServerTLSContext(files: mismatched) }

        // Renewed to another authority's certificate, then a reload that fails: clients that
        // trust only the renewed certificate's authority are still served.
        let certificate = pki.path("live.crt")
        let key = pki.path("live.key")
        try FileManager.default.copyItem(atPath: pki.path("server.crt"), toPath: certificate)
        try FileManager.default.copyItem(atPath: pki.path("server.key"), toPath: key)
        let tls = try ServerTLSContext(files: TLSFiles(certificateChain: certificate, privateKey: key))
        try FileManager.default.removeItem(atPath: certificate)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: pki.path("other-server.crt"), toPath: certificate)
        try FileManager.default.copyItem(atPath: pki.path("other-server.key"), toPath: key)
        try tls.reload()
        try Data("-----BEGIN PRIVATE KEY-----\ntruncated".utf8).write(to: URL(fileURLWithPath: key))
        #expect(throws: TLSSetupError.self) { try tls.reload() }
        try await withTestServer(tls: tls) { server in
            let renewed = try ClientTLSContext(trustedAuthorities: pki.path("other-ca.crt"))
            try await withClient(server, configuration: GRPCClientConfiguration(tls: renewed)) { client in
                let reply = try await client.unary(path: "/test.Echo/Unary", request: [1])
                #expect(reply == [1])
            }
            let trustsTheFirst = try ClientTLSContext(trustedAuthorities: pki.path("ca.crt"))
            #expect(await Self.status(ofACallTo: server, tls: trustsTheFirst)?.code == .unavailable, "the first certificate is no longer served")
        }
    }
}
