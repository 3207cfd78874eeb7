#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment variables `workflowctl` reads, without Foundation.
package enum ProcessEnvironment {
    /// Every variable the tool reads: `WORKFLOWCTL_ADDRESS`, `WORKFLOWCTL_TOKEN`,
    /// `WORKFLOWCTL_TLS`, `WORKFLOWCTL_TLS_CA`, `WORKFLOWCTL_TLS_CERT`, `WORKFLOWCTL_TLS_KEY`,
    /// `NO_COLOR`, `TERM`, `COLUMNS`, `LINES`, `USER`. A variable read elsewhere but missing here
    /// is never seen.
    package static let names = [
        ServerAddress.environmentVariable, ClientOptions.tokenEnvironmentVariable,
        ClientOptions.tlsEnvironmentVariables.enabled, ClientOptions.tlsEnvironmentVariables.authorities,
        ClientOptions.tlsEnvironmentVariables.certificate, ClientOptions.tlsEnvironmentVariables.key,
        "NO_COLOR", "TERM", "COLUMNS", "LINES", "USER",
    ]

    /// The values of the variables in ``names`` that are set.
    ///
    /// - Returns: Name → value.
    package static func current() -> [String: String] {
        var values: [String: String] = [:]
        for name in names {
            if let value = getenv(name) {
                values[name] = String(cString: value)
            }
        }
        return values
    }
}
