/// One rule of a rules file, e.g. "every pump needs a motor".
///
/// Rules files use the ``DeclarationLine`` grammar, one rule per line, `id = kind key=value …`:
///
/// ```
/// pump-needs-motor  = require-link type=Pump from=Motor
/// tag-format        = tag-pattern type=* pattern="[A-Z]{1,2}-[0-9]{3}"
/// pump-flow         = require-attribute type=Pump name=flow_m3h
/// motor-pump-cables = generate-cables from=Motor to=Pump prefix=C-
/// ```
package struct Rule: Sendable, Hashable {
    /// What a rule checks or generates.
    package enum Kind: Sendable, Hashable {
        /// `require-link type=Pump from=Motor`: every asset of `type` must be linked with an
        /// asset of type `from` (either side of the link). Violators are flagged.
        case requireLink(type: String, from: String)
        /// `tag-pattern type=* pattern=REGEX`: tags of assets of `type` (`*`: all) must match
        /// the whole pattern. Violators are flagged.
        case tagPattern(type: String, pattern: String)
        /// `require-attribute type=Pump name=flow_m3h`: every asset of `type` must have the
        /// attribute. Violators are flagged.
        case requireAttribute(type: String, name: String)
        /// `generate-cables from=Motor to=Pump prefix=C-`: each link from an asset of type
        /// `from` to one of type `to` gets a `Cable` asset (`C-001`, `C-002`, …) linked to both,
        /// unless such a cable exists.
        case generateCables(from: String, to: String, prefix: String)
    }

    /// The rule's id, used as the flag name on violators, e.g. `pump-needs-motor`.
    package var id: String
    /// What it checks or generates.
    package var kind: Kind
    /// The line of the rules file it is on.
    package var line: Int

    /// Creates a rule.
    package init(id: String, kind: Kind, line: Int = 0) {
        self.id = id
        self.kind = kind
        self.line = line
    }

    /// The rule in words, e.g. "every Pump is linked with a Motor".
    package var summary: String {
        switch kind {
        case .requireLink(let type, let from): "every \(type) is linked with a \(from)"
        case .tagPattern(let type, let pattern): "\(type == "*" ? "every" : "every \(type)") tag matches \(pattern)"
        case .requireAttribute(let type, let name): "every \(type) has \(name)"
        case .generateCables(let from, let to, let prefix): "a \(prefix)### cable for each \(from) → \(to) link"
        }
    }
}
