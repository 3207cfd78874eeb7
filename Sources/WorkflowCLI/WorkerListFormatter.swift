import WorkflowMessages

/// The text form of `workflowctl workers`: one connected worker per line, in columns, then its
/// leases.
///
/// ```
/// WORKER             INSTANCE    QUEUES  SLOTS  LAST HEARTBEAT  LABELS
/// python-importer    host-1-42   import  1/4    400ms ago       region=eu
///   wf-0H5N3Q8T2ZK1-j2 attempt 1 (lease 17)
/// ```
package struct WorkerListFormatter: Sendable {
    /// Creates a formatter.
    package init() {}

    /// The header, one line per worker, and a line per lease it holds.
    ///
    /// - Parameters:
    ///   - workers: The workers, in the order to print.
    ///   - nowMs: The current time, for how long ago each worker was last heard from.
    /// - Returns: The lines; just a note when there are none.
    package func lines(for workers: [WorkflowV1.WorkerInfo], nowMs: Int64) -> [StyledLine] {
        guard !workers.isEmpty else { return [StyledLine("no workers connected")] }
        let nameWidth = max(6, workers.map { $0.worker?.name.count ?? 0 }.max() ?? 0)
        let instanceWidth = max(8, workers.map { $0.worker?.instanceID.count ?? 0 }.max() ?? 0)
        let queuesWidth = max(6, workers.map { $0.queues.joined(separator: ",").count }.max() ?? 0)
        var header = StyledLine()
        header.append(
            TerminalText.padded("WORKER", toWidth: nameWidth) + "  " + TerminalText.padded("INSTANCE", toWidth: instanceWidth)
                + "  " + TerminalText.padded("QUEUES", toWidth: queuesWidth) + "  SLOTS  LAST HEARTBEAT  LABELS",
            .bold
        )
        var lines = [header]
        for worker in workers {
            var line = StyledLine()
            line.append(TerminalText.padded(worker.worker?.name ?? "", toWidth: nameWidth), .bold)
            line.append("  " + TerminalText.padded(worker.worker?.instanceID ?? "", toWidth: instanceWidth))
            line.append("  " + TerminalText.padded(worker.queues.joined(separator: ","), toWidth: queuesWidth))
            line.append("  " + TerminalText.padded("\(worker.slotsInUse)/\(worker.slots)", toWidth: 5))
            let ago = TimeText.duration(milliseconds: max(0, nowMs - worker.lastHeartbeatAtMs)) + " ago"
            line.append("  " + TerminalText.padded(ago, toWidth: 14))
            line.append("  " + worker.labels.keys.sorted().map { "\($0)=\(worker.labels[$0]!)" }.joined(separator: " "))
            lines.append(line)
            for lease in worker.leases {
                var leaseLine = StyledLine()
                leaseLine.append("  \(lease.jobID) attempt \(lease.attempt) (lease \(lease.epoch))", .dim)
                lines.append(leaseLine)
            }
        }
        return lines
    }
}
