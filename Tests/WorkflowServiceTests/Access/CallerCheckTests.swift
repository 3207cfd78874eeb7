import AccessControl
import Foundation
import RPCCore
import Testing
@testable import WorkflowService

@Suite("A stream's credentials, checked as it goes")
struct CallerCheckTests {
    private static func line(_ token: String, _ subject: String, _ roles: String) -> String {
        "\(sha256Hex(token)) \(subject) \(roles)\n"
    }

    /// The SHA-256 a tokens file lists, computed by the system's tool so the test does not
    /// lean on the code it checks.
    private static func sha256Hex(_ token: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(token.utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return String(text.prefix(64))
    }

    @Test("a reload that keeps the token, or adds roles, keeps the stream; one that revokes it or takes a role away ends it")
    func reloads() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        try Self.line("w-token", "importer", "worker:imports").write(toFile: path, atomically: true, encoding: .utf8)
        let authenticator = try await CallerAuthenticator.load(.tokens(path: path))
        let caller = try authenticator.authenticate(authorization: "Bearer w-token", certificateIdentity: nil).get()
        let check = CallerCheck(caller: caller, authenticator: authenticator, authorization: "Bearer w-token", certificateIdentity: nil)
        #expect(check.revocation() == nil)

        try await authenticator.reload()
        #expect(check.revocation() == nil, "the same file read again")
        try Self.line("w-token", "importer", "worker:imports,worker:exports").write(toFile: path, atomically: true, encoding: .utf8)
        try await authenticator.reload()
        #expect(check.revocation() == nil, "a role added")

        try Self.line("w-token", "importer", "worker:exports").write(toFile: path, atomically: true, encoding: .utf8)
        try await authenticator.reload()
        #expect(check.revocation()?.code == .unauthenticated, "a role taken away")

        try Self.line("other", "someone", "admin").write(toFile: path, atomically: true, encoding: .utf8)
        try await authenticator.reload()
        #expect(check.revocation() == RPCStatus(code: .unauthenticated, message: "unknown or revoked token"))
        #expect(CallerCheck.unchecked(caller).revocation() == nil)
    }
}
