extension WorkflowV1.LogLevel: Comparable {
    /// Orders levels by severity: their wire values increase with it (DEBUG < INFO < WARN < ERROR).
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
