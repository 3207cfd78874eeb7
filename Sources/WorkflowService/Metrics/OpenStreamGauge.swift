import CoreMetrics
import Synchronization

/// A gauge of things open now (streams, connections), kept by opening and closing them.
final class OpenStreamGauge: Sendable {
    private let count = Mutex(0)
    private let gauge: Gauge

    /// A gauge named `label`, starting at 0.
    init(label: String) {
        gauge = Gauge(label: label)
        gauge.record(0)
    }

    func opened() {
        gauge.record(count.withLock { count in
            count += 1
            return count
        })
    }

    func closed() {
        gauge.record(count.withLock { count in
            count -= 1
            return count
        })
    }
}
