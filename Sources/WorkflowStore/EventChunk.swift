import WorkflowModel

/// Events stored together in sequence order, one row of `event_chunks` (schema v4): each
/// event a record in ``RecordCodec``'s event format behind its length (4 bytes,
/// little-endian). A commit stores its consecutive events in chunks, a row per chunk instead of
/// a row per event, and SQLite's cost is per row far more than per byte. (v4 packed v3's rows,
/// gaps below the oldest whole sequence included; pruning leaves a chunk it keeps for its
/// workflows' steps with those steps only.)
///
/// ```swift
/// var chunk = EventChunk()
/// chunk.append(event)
/// if chunk.isFull { insert(chunk.firstSequence, chunk.lastSequence, chunk.body); chunk.removeAll() }
/// ```
struct EventChunk {
    /// The most events one chunk holds.
    static let maxEvents = 256
    /// The body size past which a chunk takes no more events; an event larger than this makes
    /// a chunk of its own.
    static let maxBytes = 32 << 10

    /// A job of a workflow whose steps the chunk holds.
    struct StepsOfJob: Hashable {
        var workflowID: String
        var jobPosition: Int
    }

    /// The records, in order.
    private(set) var body = BinaryWriter(capacity: Self.maxBytes + 4_096)
    private(set) var eventCount = 0
    private(set) var firstSequence: UInt64 = 0
    private(set) var lastSequence: UInt64 = 0
    /// How many steps of each job the chunk holds, in the order the jobs first appear.
    private(set) var stepCounts: [(job: StepsOfJob, count: Int)] = []
    /// Where each job is in `stepCounts` (the last one is checked first: steps come in runs).
    private var stepIndex: [StepsOfJob: Int] = [:]

    var isEmpty: Bool { eventCount == 0 }

    /// Whether the chunk takes no more events.
    var isFull: Bool { eventCount >= Self.maxEvents || body.count >= Self.maxBytes }

    /// Appends `event`, whose sequence follows the last one's.
    mutating func append(_ event: borrowing LogEvent) {
        let lengthOffset = body.reserveFixedUInt32()
        RecordCodec.encode(event, into: &body)
        body.setFixedUInt32(UInt32(body.count - lengthOffset - 4), at: lengthOffset)
        let job = event.hasStep ? event.job : nil
        added(event.sequence, stepOf: job.map { StepsOfJob(workflowID: event.workflowID, jobPosition: $0.position) })
    }

    /// Appends the record of an event stored before, as it is (the v4 migration).
    mutating func append(record: [UInt8], sequence: UInt64, stepOf job: StepsOfJob?) {
        body.setFixedUInt32(UInt32(record.count), at: body.reserveFixedUInt32())
        body.write(raw: record)
        added(sequence, stepOf: job)
    }

    private mutating func added(_ sequence: UInt64, stepOf job: StepsOfJob?) {
        assert(eventCount == 0 || sequence > lastSequence, "a chunk's events are in sequence order")
        if eventCount == 0 { firstSequence = sequence }
        lastSequence = sequence
        eventCount += 1
        guard let job else { return }
        if let last = stepCounts.indices.last, stepCounts[last].job == job {
            stepCounts[last].count += 1
        } else if let index = stepIndex[job] {
            stepCounts[index].count += 1
        } else {
            stepIndex[job] = stepCounts.count
            stepCounts.append((job, 1))
        }
    }

    /// Empties the chunk for the next one, keeping its buffers.
    mutating func removeAll() {
        body.removeAll()
        eventCount = 0
        firstSequence = 0
        lastSequence = 0
        stepCounts.removeAll(keepingCapacity: true)
        stepIndex.removeAll(keepingCapacity: true)
    }

    /// Calls `visit` with the sequence and the range of each record of a chunk's `body`, in
    /// order, until it returns `false`.
    ///
    /// - Throws: ``BinaryReader/Malformed`` for a body that does not divide into records.
    static func forEachRecord(in body: [UInt8], _ visit: (_ sequence: UInt64, _ record: Range<Int>) throws -> Bool) throws {
        var reader = BinaryReader(body)
        while !reader.isAtEnd {
            let length = Int(try reader.readFixedUInt32())
            let start = reader.position
            try reader.skip(length)
            var header = BinaryReader(body, in: start..<reader.position)
            guard try visit(try header.readUInt64(), start..<reader.position) else { return }
        }
    }
}
