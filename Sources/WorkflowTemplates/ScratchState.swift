/// What the jobs of one workflow hand to each other: each phase stores its result here and the
/// next phase reads it.
///
/// Every field can be derived again from the parameters (re-reading the file), so a job whose
/// inputs are missing (the workflow was evicted from the scratchpad, or the job is configured
/// without its predecessors) recomputes them without logging instead of failing.
package struct ScratchState: Sendable {
    /// The rows read by `import.fetch`.
    package var fetchedRows: [SourceRow]?
    /// The rows `import.process` turned into drafts.
    package var processedRows: [ImportedRow]?
    /// The rows that passed `import.validate`.
    package var validatedRows: [ImportedRow]?
    /// The rules loaded by `rules.load`.
    package var rules: [Rule]?
    /// The outcomes computed by `rules.execute`.
    package var ruleOutcomes: [RuleOutcome]?
    /// The assets gathered by `export.gather`.
    package var exportedAssets: [Asset]?

    /// Creates an empty state.
    package init() {}
}
