import AccessControl
import Foundation
import RPCCore
import WorkflowEngine
import WorkflowMessages
import WorkflowTemplates

/// Serves `ListAssets` and `GetAsset` of `workflow.v1.WorkflowService` from the
/// ``AssetRegistry`` (in memory, restored from the store at start), so a step's entity route
/// `/assets/<id>` resolves. The registry is shared: every role that reads may read it, but
/// an asset's `updated_by_workflow_id` reaches a caller that sees only its own workflows only
/// when it names one of them.
struct AssetRPCService: Sendable {
    private let assets: AssetRegistry
    private let engine: WorkflowEngine
    private let access: AccessGuard

    init(assets: AssetRegistry, engine: WorkflowEngine, access: AccessGuard) {
        self.assets = assets
        self.engine = engine
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
            let nextPageToken = page.hasMore ? Data((page.assets.last?.tag ?? "").utf8).base64EncodedString() : ""
            answer(page.assets, to: caller, responder) { assets in
                WorkflowV1.ListAssetsResponse(
                    assets: assets, nextPageToken: nextPageToken, totalCount: Int32(clamping: page.totalCount)
                ).serializedBytes()
            }
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
            answer([asset], to: caller, responder) { assets in assets[0].serializedBytes() }
        } catch {
            responder.fail(error)
        }
    }

    /// Answers with `encode` of `assets`, each naming the workflow that last changed it only if
    /// `caller` may see that workflow (asked of the engine for a caller limited to its own).
    private func answer(
        _ assets: [Asset], to caller: Caller, _ responder: UnaryResponder, encode: @escaping @Sendable ([WorkflowV1.Asset]) -> [UInt8]
    ) {
        let messages = assets.map(WorkflowV1.Asset.init)
        guard caller.visibleOwner != nil else { return responder.succeed(encode(messages)) }
        let named = Set(messages.map(\.updatedByWorkflowID).filter { !$0.isEmpty })
        guard !named.isEmpty else { return responder.succeed(encode(messages)) }
        engine.submit { engine in
            named.filter { (try? engine.workflow(id: $0, visibleTo: caller)) != nil }
        } then: { (result: Result<Set<String>, Never>) in
            let visible = result.get()
            responder.succeed(encode(messages.map { message in
                var message = message
                if !visible.contains(message.updatedByWorkflowID) { message.updatedByWorkflowID = "" }
                return message
            }))
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
