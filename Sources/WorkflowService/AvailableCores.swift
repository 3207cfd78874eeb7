import Foundation
import NIOCore

/// How many cores this process may run on: on Linux its CPU affinity (`taskset`,
/// `sched_setaffinity`), which neither `System.coreCount` nor `ProcessInfo` reads, and no more
/// than `System.coreCount` (which counts a container's CPU quota).
enum AvailableCores {
    /// The cores this process may run on, at least 1.
    static var count: Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
              let allowed = count(inList: line.dropFirst("Cpus_allowed_list:".count))
        else { return System.coreCount }
        return min(allowed, System.coreCount)
    }

    /// The number of CPUs in a Linux CPU list such as `0-3,8,10-11`; `nil` if it is not one.
    static func count(inList list: Substring) -> Int? {
        var total = 0
        for range in list.trimmingCharacters(in: .whitespaces).split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = range.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                total += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total > 0 ? total : nil
    }
}
