import WorkflowMessages

/// Lines of `workflowctl assets`: one per asset (tag, id, type, name, links, flags), or the whole
/// asset with its attributes and flags spelled out.
enum AssetListFormatter {
    static func lines(for assets: [WorkflowV1.Asset], detailed: Bool) -> [String] {
        guard detailed else {
            let rows = assets.map { asset in
                [
                    asset.tag, asset.id, asset.type, TerminalText.oneLine(asset.name),
                    asset.links.joined(separator: ","), asset.flags.keys.sorted().joined(separator: ","),
                ]
            }
            return table([["TAG", "ID", "TYPE", "NAME", "LINKS", "FLAGS"]] + rows)
        }
        return assets.flatMap { asset -> [String] in
            var lines = [
                "\(asset.tag)  \(asset.type)  \(TerminalText.oneLine(asset.name))",
                "  id \(asset.id)  route \(asset.route)  changed by \(asset.updatedByWorkflowID.isEmpty ? "-" : asset.updatedByWorkflowID)",
            ]
            if !asset.links.isEmpty { lines.append("  links: \(asset.links.joined(separator: ", "))") }
            for (key, value) in asset.attributes.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(key) = \(TerminalText.oneLine(value))")
            }
            for (rule, message) in asset.flags.sorted(by: { $0.key < $1.key }) {
                lines.append("  flag \(rule): \(TerminalText.oneLine(message))")
            }
            return lines
        }
    }

    /// Left-aligned columns two spaces apart.
    private static func table(_ rows: [[String]]) -> [String] {
        let widths = rows.reduce(into: [Int](repeating: 0, count: rows.first?.count ?? 0)) { widths, row in
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
