/// Evaluates rules over a snapshot of the registry; pure, so it can be re-derived.
enum RuleEvaluation {
    static func evaluate(_ rules: [Rule], over assets: [Asset]) -> [RuleOutcome] {
        let byTag = Dictionary(assets.map { ($0.tag, $0) }, uniquingKeysWith: { first, _ in first })
        var linkedTags: [String: Set<String>] = [:]
        for asset in assets {
            for target in asset.links {
                linkedTags[asset.tag, default: []].insert(target)
                linkedTags[target, default: []].insert(asset.tag)
            }
        }
        var outcomes: [RuleOutcome] = []
        for rule in rules {
            switch rule.kind {
            case .requireLink(let type, let from):
                for asset in assets where asset.type == type {
                    let partners = (linkedTags[asset.tag] ?? []).filter { byTag[$0]?.type == from }
                    outcomes.append(partners.isEmpty
                        ? .violation(rule: rule.id, tag: asset.tag, message: "no \(from) is linked to \(asset.tag)")
                        : .satisfied(rule: rule.id, tag: asset.tag))
                }
            case .tagPattern(let type, let pattern):
                guard let regex = try? Regex(pattern) else { continue }
                for asset in assets where type == "*" || asset.type == type {
                    outcomes.append(asset.tag.wholeMatch(of: regex) == nil
                        ? .violation(rule: rule.id, tag: asset.tag, message: "tag \(asset.tag) does not match \(pattern)")
                        : .satisfied(rule: rule.id, tag: asset.tag))
                }
            case .requireAttribute(let type, let name):
                for asset in assets where asset.type == type {
                    outcomes.append(asset.attributes[name] == nil
                        ? .violation(rule: rule.id, tag: asset.tag, message: "\(asset.tag) has no \(name)")
                        : .satisfied(rule: rule.id, tag: asset.tag))
                }
            case .generateCables(let from, let to, let prefix):
                let cabled = Set(assets.filter { $0.type == "Cable" }.map { Set($0.links) })
                for asset in assets where asset.type == from {
                    for target in asset.links where byTag[target]?.type == to && !cabled.contains([asset.tag, target]) {
                        outcomes.append(.missingCable(rule: rule.id, from: asset.tag, to: target, prefix: prefix))
                    }
                }
            }
        }
        return outcomes
    }
}
