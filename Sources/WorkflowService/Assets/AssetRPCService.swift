import AccessControl
import Foundation
import RPCCore
import WorkflowMessages
import WorkflowTemplates

/// Serves `ListAssets` and `GetAsset` of `workflow.v1.WorkflowService` from the
/// ``AssetRegistry`` (in memory, restored from the store at start), so a step's entity route
/// `/assets/<id>` resolves. The registry is shared: every role that reads may read it.
struct AssetRPCService: Sendable {
    private let assets: AssetRegistry
    private let access: AccessGuard

    init(assets: AssetRegistry, access: AccessGuard) {
        self.assets = assets
        self.access = access
    }

    /// Adds the methods to `router`.
    func register(in router: inout RPCRouter) {
        typealias Methods = WorkflowV1.WorkflowService
        router.register(Methods.listAssets, access.unary(.read, listAssets))
        router.register(Methods.getAsset, access.unary(.read, getAsset))
    }

    private func listAssets(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        do throws(RPCStatus) {
            let request = try WorkflowV1.ListAssetsRequest(request: bytes)
            var query = AssetQuery()
            guard (0...1000).contains(request.pageSize) else {
                throw RPCStatus(code: .invalidArgument, message: "page_size: must be from 1 to 1000 (0 for the default of 100), got \(request.pageSize)")
            }
            query.pageSize = request.pageSize == 0 ? 100 : Int(request.pageSize)
            query.type = request.type
            query.tagPrefix = request.tagPrefix
            query.flaggedOnly = request.flaggedOnly
            query.linkedTo = request.linkedTo
            if !request.pageToken.isEmpty {
                guard let data = Data(base64Encoded: request.pageToken), let tag = String(data: data, encoding: .utf8), !tag.isEmpty else {
                    throw RPCStatus(code: .invalidArgument, message: "page_token: is not a token a ListAssets answer gave")
                }
                query.afterTag = tag
            }
            let page = assets.list(query)
            let response = WorkflowV1.ListAssetsResponse(
                assets: page.assets.map(WorkflowV1.Asset.init),
                nextPageToken: page.hasMore ? Data((page.assets.last?.tag ?? "").utf8).base64EncodedString() : "",
                totalCount: Int32(clamping: page.totalCount)
            )
            responder.succeed(response.serializedBytes())
        } catch {
            responder.fail(error)
        }
    }

    private func getAsset(_ bytes: [UInt8], _ caller: Caller, _ responder: UnaryResponder) {
        do throws(RPCStatus) {
            let request = try WorkflowV1.GetAssetRequest(request: bytes)
            let asset: Asset?
            switch (request.assetID.isEmpty, request.tag.isEmpty) {
            case (false, true):
                asset = assets.asset(id: request.assetID)
            case (true, false):
                asset = assets.asset(tag: request.tag)
            case (false, false):
                throw RPCStatus(code: .invalidArgument, message: "asset_id: give asset_id or tag, not both")
            case (true, true):
                throw RPCStatus(code: .invalidArgument, message: "asset_id: is required (or tag)")
            }
            guard let asset else {
                let key = request.assetID.isEmpty ? "tag \"\(request.tag.prefix(200))\"" : "id \"\(request.assetID.prefix(200))\""
                throw RPCStatus(code: .notFound, message: "no asset with \(key)")
            }
            responder.succeed(WorkflowV1.Asset(asset).serializedBytes())
        } catch {
            responder.fail(error)
        }
    }
}

extension WorkflowV1.Asset {
    init(_ asset: Asset) {
        self.init(
            id: asset.id, tag: asset.tag, type: asset.type, name: asset.name, attributes: asset.attributes,
            links: asset.links, flags: asset.flags, route: asset.route, createdAtMs: asset.createdAtMs,
            updatedAtMs: asset.updatedAtMs, updatedByWorkflowID: asset.updatedByWorkflowID
        )
    }
}
