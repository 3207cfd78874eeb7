import Glibc

/// An open file descriptor with the few calls the file stores need, each retried on `EINTR`
/// and reporting failures as ``FileStoreError``.
struct PosixFile: ~Copyable {
    let descriptor: Int32
    let path: String

    /// Creates `path`, which must not exist, for writing (mode 0600).
    static func create(_ path: String) throws(FileStoreError) -> PosixFile {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("create", path, errno: errno) }
        return PosixFile(descriptor: descriptor, path: path)
    }

    /// Opens `path` for reading; `nil` when it does not exist.
    static func openForReading(_ path: String) throws(FileStoreError) -> PosixFile? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw .io("open", path, errno: errno)
        }
        return PosixFile(descriptor: descriptor, path: path)
    }

    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(FileStoreError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .io("write", path, errno: errno)
            }
            offset += written
        }
    }

    /// Reads up to `buffer.count` bytes at `offset`; 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FileStoreError) -> Int {
        while true {
            let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno != EINTR { throw .io("read", path, errno: errno) }
        }
    }

    /// The file's size.
    func size() throws(FileStoreError) -> Int64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .io("stat", path, errno: errno) }
        return Int64(status.st_size)
    }

    /// Flushes the file's data to the disk.
    func sync() throws(FileStoreError) {
        guard fsync(descriptor) == 0 else { throw .io("sync", path, errno: errno) }
    }

    deinit {
        Glibc.close(descriptor)
    }
}

/// File-system operations on paths, reporting failures as ``FileStoreError``.
enum FileSystem {
    /// Creates `path` and its parents if missing (mode 0700).
    static func createDirectory(_ path: String) throws(FileStoreError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw .io("create the directory", prefix, errno: errno)
            }
        }
    }

    /// Renames `source` to `destination`, replacing it, and syncs the destination's directory
    /// so the rename survives a crash.
    static func rename(_ source: String, to destination: String) throws(FileStoreError) {
        guard Glibc.rename(source, destination) == 0 else { throw .io("rename \(source) to", destination, errno: errno) }
        syncDirectory(of: destination)
    }

    /// Syncs the directory holding `path` (best effort: a rename is durable once it is).
    static func syncDirectory(of path: String) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let descriptor = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        Glibc.close(descriptor)
    }

    /// Removes the file `path`; a missing file is not an error.
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Removes the directory `path` if it is empty.
    static func removeDirectoryIfEmpty(_ path: String) {
        rmdir(path)
    }

    /// The names in directory `path` (not `.` and `..`); empty when it cannot be read.
    static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != ".", name != ".." {
                names.append(name)
            }
        }
        return names
    }

    /// Whether the file `path` was last modified before `instant` (false when it cannot be read).
    static func modified(_ path: String, before instant: timespec) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        let modified = status.st_mtim
        return (modified.tv_sec, modified.tv_nsec) < (instant.tv_sec, instant.tv_nsec)
    }

    /// Whether `path` names a directory.
    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }
}
