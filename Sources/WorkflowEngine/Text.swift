/// Strings built in one allocation at their final size.
///
/// String interpolation reserves room for its literal parts and two bytes per value, then grows:
/// a message such as `Workflow IMPORT_ASSETS started with 4 jobs` cost two or three allocations
/// where it needs one. What every workflow makes is built here: its jobs' ids, and
/// the messages of its start, its jobs' first attempts and their completion, and its own.
enum Text {
    /// `parts` one after another.
    @inline(__always)
    static func concatenated(_ parts: String...) -> String {
        var count = 0
        for part in parts {
            count += part.utf8.count
        }
        var text = ""
        text.reserveCapacity(count)
        for part in parts {
            text.append(part)
        }
        return text
    }
}
