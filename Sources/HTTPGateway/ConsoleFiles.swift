import ConsoleAssets
import Foundation
import Hummingbird
import RPCCore

/// The browser console's files: the copy built into the binary, or, while someone edits the
/// console, the files of a folder read at each request.
package enum ConsoleFiles: Sendable {
    /// The files embedded by `Scripts/embed-console.sh`.
    case builtIn
    /// The files of this folder (`Console/` of a checkout), read at each request, so an edit
    /// shows at the next reload. For development: each read blocks its event loop briefly.
    case directory(String)

    /// The answer to a GET of the file `name`: the file, 304 when the browser's copy is
    /// current, or 404.
    func response(for name: String, request: Request) -> Response {
        switch self {
        case .builtIn:
            guard let asset = ConsoleAssets.files[name] else { return Self.notFound(name) }
            var headers = Self.headers(contentType: asset.contentType)
            headers[.eTag] = asset.etag
            // Revalidated at each load, so a new binary's console is never mixed with an old one.
            headers[.cacheControl] = "no-cache"
            if Self.matches(request.headers[values: .ifNoneMatch], asset.etag) {
                return Response(status: .notModified, headers: headers)
            }
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: asset.text)))
        case .directory(let folder):
            guard let contentType = Self.contentType(of: name),
                  !name.hasPrefix("."), !name.contains("/"),
                  let data = FileManager.default.contents(atPath: folder + "/" + name)
            else { return Self.notFound(name) }
            var headers = Self.headers(contentType: contentType)
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// Whether an `If-None-Match` (any number of fields, each a comma-separated list of
    /// entity tags, weak ones too, or `*`) names `etag`.
    private static func matches(_ fields: [String], _ etag: String) -> Bool {
        fields.flatMap { $0.split(separator: ",") }.contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    /// The headers of every file: its type, and what keeps the console from being framed by
    /// other sites, from running scripts of other origins and from being sniffed as another type.
    private static func headers(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("Referrer-Policy")!] = "no-referrer"
        return headers
    }

    /// The types `Scripts/embed-console.sh` embeds.
    private static func contentType(of name: String) -> String? {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json"
        default: nil
        }
    }

    private static func notFound(_ name: String) -> Response {
        HTTPGateway.errorResponse(RPCStatus(code: .notFound, message: "the console has no file \(name)"), httpStatus: .notFound)
    }
}
