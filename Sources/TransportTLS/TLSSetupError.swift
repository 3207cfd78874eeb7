/// TLS credentials that cannot be used, naming the file and what is wrong with it.
package struct TLSSetupError: Error, CustomStringConvertible {
    package let description: String

    init(_ description: String) {
        self.description = description
    }
}
