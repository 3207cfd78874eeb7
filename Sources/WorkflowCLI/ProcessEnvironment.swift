#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment variables `workflowctl` reads, without Foundation.
package enum ProcessEnvironment {
    /// Every variable the tool reads: `WORKFLOWCTL_ADDRESS`, `NO_COLOR`, `TERM`, `COLUMNS`,
    /// `LINES`, `USER`.
    package static let names = [ServerAddress.environmentVariable, "NO_COLOR", "TERM", "COLUMNS", "LINES", "USER"]

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
