import WorkflowEngine

extension JobRun {
    /// The rows `import.fetch` read, or the file read again when they are not in the scratchpad.
    func fetchedRows(_ options: ImportOptions) throws -> [SourceRow] {
        if let rows = scratch(\.fetchedRows) {
            return rows
        }
        let rows = try AssetFileReader.rows(path: options.filePath, format: options.format)
        updateScratch { $0.fetchedRows = rows }
        return rows
    }

    /// The rows `import.process` accepted, or derived again from the fetched rows.
    func processedRows(_ options: ImportOptions) throws -> [ImportedRow] {
        if let rows = scratch(\.processedRows) {
            return rows
        }
        let rows = ImportProcessing.process(try fetchedRows(options)).rows
        updateScratch { $0.processedRows = rows }
        return rows
    }

    /// The rows `import.validate` accepted, or derived again from the processed rows.
    func validatedRows(_ options: ImportOptions) throws -> [ImportedRow] {
        if let rows = scratch(\.validatedRows) {
            return rows
        }
        let rows = ImportValidation.validate(try processedRows(options), existingTag: { assets.asset(tag: $0) != nil }).rows
        updateScratch { $0.validatedRows = rows }
        return rows
    }
}
