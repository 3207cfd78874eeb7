import WorkflowEngine

extension JobRun {
    /// The import file and its rows. Every import job reads the file anew (an upload never
    /// changes), so a job that runs again after a retry or a restart needs nothing from memory.
    ///
    /// - Throws: ``JobError``: `VALIDATION` when the upload is gone, its format is unknown, or
    ///   it cannot be parsed, or when it is not the file `import.fetch` read (a file on the
    ///   server's disk changed meanwhile); `IO` when it cannot be read.
    func sourceRows(_ options: ImportOptions) throws(JobError) -> (file: InputFile.Resolved, rows: [SourceRow]) {
        let file = try options.input.resolve(in: files)
        let rows = try AssetFileReader.rows(path: file.path, format: options.format(of: file), name: file.label)
        if context.jobPosition > 0, let read = context.inputs["rows_read"], read != String(rows.count) {
            throw .invalidInput("\(file.name) has \(rows.count) rows, but \(read) were fetched: the file changed since; start a new import")
        }
        return (file, rows)
    }

    /// The rows `import.process` accepts, derived again from the file.
    func processedRows(_ options: ImportOptions) throws(JobError) -> [ImportedRow] {
        ImportProcessing.process(try sourceRows(options).rows).rows
    }

    /// The rows `import.validate` accepts, derived again from the file against the registry as
    /// it is now.
    func validatedRows(_ options: ImportOptions) throws(JobError) -> [ImportedRow] {
        ImportValidation.validate(try processedRows(options), existingTag: { assets.asset(tag: $0) != nil }).rows
    }
}
