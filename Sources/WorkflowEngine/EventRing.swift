import WorkflowModel

/// The retained events: a ring of at most `capacity` events, oldest first, that overwrites the
/// oldest event once full. Storage grows on demand up to the capacity, so a large retention
/// costs memory only once that many events exist.
struct EventRing {
    /// The most events kept.
    let capacity: Int
    private var storage: [LogEvent] = []
    /// Index in `storage` of the oldest event; always 0 until the ring is full.
    private var head = 0

    init(capacity: Int) {
        precondition(capacity >= 1, "An event log must retain at least one event")
        self.capacity = capacity
    }

    /// The number of events held.
    var count: Int { storage.count }

    /// Adds `event` as the newest, dropping the oldest when full.
    mutating func append(_ event: LogEvent) {
        if storage.count < capacity {
            storage.append(event)
        } else {
            storage[head] = event
            head += 1
            if head == capacity {
                head = 0
            }
        }
    }

    /// The event `offset` places after the oldest one, lent in place (no copy unless kept).
    subscript(offset: Int) -> LogEvent {
        _read {
            var index = head + offset
            if index >= storage.count {
                index -= storage.count
            }
            yield storage[index]
        }
    }
}
