import RPCCore
import Testing
import WorkflowCLI
import WorkflowMessages

@Suite("workflowctl's bearer token")
struct ClientTokenOptionsTests {
    @Test("--token wins over WORKFLOWCTL_TOKEN; an empty variable is no token")
    func optionAndEnvironment() throws {
        #expect(try ClientOptions.token(option: nil, environment: [:]) == nil)
        #expect(try ClientOptions.token(option: nil, environment: ["WORKFLOWCTL_TOKEN": ""]) == nil)
        #expect(try ClientOptions.token(option: nil, environment: ["WORKFLOWCTL_TOKEN": "from-env"]) == "from-env")
        #expect(try ClientOptions.token(option: "from-option", environment: ["WORKFLOWCTL_TOKEN": "from-env"]) == "from-option")
    }

    @Test("the process environment includes the token and TLS variables (a variable left out of it is never read)")
    func environmentNames() {
        let names = Set(ProcessEnvironment.names)
        #expect(names.isSuperset(of: [
            "WORKFLOWCTL_ADDRESS", "WORKFLOWCTL_TOKEN", "WORKFLOWCTL_TLS", "WORKFLOWCTL_TLS_CA", "WORKFLOWCTL_TLS_CERT", "WORKFLOWCTL_TLS_KEY",
        ]))
    }

    @Test("a token no server could take (empty, spaces, control characters) is a usage error that never echoes it")
    func unusableTokens() {
        for token in ["", "two words", "tab\there", "line\nbreak", "ünïcode"] {
            let failure = #expect(throws: CommandFailure.self) { try ClientOptions.token(option: token, environment: [:]) }
            #expect(failure?.exitStatus == .usage)
            #expect(token.isEmpty || failure?.message.contains(token) == false)
        }
    }

    @Test("UNAUTHENTICATED points at --token; whoami's JSON names the subject, roles and whether the server authenticates")
    func refusalsAndWhoAmI() {
        let failure = CommandFailure.rpc(RPCStatus(code: .unauthenticated, message: "unknown or revoked token"), call: "ListWorkflows", address: .defaultAddress)
        #expect(failure.exitStatus == .serverError)
        #expect(failure.message.contains("unknown or revoked token") && failure.message.contains("--token"))
        let line = MessageJSON.line(for: WorkflowV1.WhoAmIResponse(subject: "alice", roles: ["user", "viewer"], authenticated: true))
        #expect(line == #"{"subject":"alice","roles":["user","viewer"],"authenticated":true}"#)
    }
}
