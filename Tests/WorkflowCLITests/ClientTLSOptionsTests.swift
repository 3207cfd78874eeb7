import Testing
import WorkflowCLI

@Suite("workflowctl's TLS options and their environment variables")
struct ClientTLSOptionsTests {
    @Test("no option and no variable: plaintext; --tls or WORKFLOWCTL_TLS=1 alone: TLS with the system's authorities")
    func plaintextUnlessAsked() throws {
        #expect(try ClientOptions.tls(requested: false, trustedAuthorities: nil, certificateChain: nil, privateKey: nil, environment: [:]) == nil)
        #expect(try ClientOptions.tls(requested: false, trustedAuthorities: nil, certificateChain: nil, privateKey: nil,
                                      environment: ["WORKFLOWCTL_TLS": "0", "WORKFLOWCTL_TLS_CA": ""]) == nil)
        #expect(try ClientOptions.tls(requested: true, trustedAuthorities: nil, certificateChain: nil, privateKey: nil, environment: [:]) != nil)
        #expect(try ClientOptions.tls(requested: false, trustedAuthorities: nil, certificateChain: nil, privateKey: nil,
                                      environment: ["WORKFLOWCTL_TLS": "1"]) != nil)
    }

    @Test("a file from the environment turns TLS on and is read (an unreadable one is a usage error naming it)")
    func environmentFiles() {
        let failure = #expect(throws: CommandFailure.self) {
            try ClientOptions.tls(requested: false, trustedAuthorities: nil, certificateChain: nil, privateKey: nil,
                                  environment: ["WORKFLOWCTL_TLS_CA": "/nonexistent/from-env.crt"])
        }
        #expect(failure?.message.contains("/nonexistent/from-env.crt") == true)
        let option = #expect(throws: CommandFailure.self) {
            try ClientOptions.tls(requested: false, trustedAuthorities: "/nonexistent/option.crt", certificateChain: nil, privateKey: nil,
                                  environment: ["WORKFLOWCTL_TLS_CA": "/nonexistent/from-env.crt"])
        }
        #expect(option?.message.contains("/nonexistent/option.crt") == true, "the option wins over the variable")
    }

    @Test("a certificate without its key, from options or variables, is a usage error")
    func certificateNeedsKey() {
        #expect(throws: CommandFailure.self) {
            try ClientOptions.tls(requested: false, trustedAuthorities: nil, certificateChain: "c.pem", privateKey: nil, environment: [:])
        }
        #expect(throws: CommandFailure.self) {
            try ClientOptions.tls(requested: false, trustedAuthorities: nil, certificateChain: nil, privateKey: nil,
                                  environment: ["WORKFLOWCTL_TLS_KEY": "k.pem"])
        }
    }
}
