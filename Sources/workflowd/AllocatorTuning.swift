#if os(Linux) && canImport(Glibc)
import Glibc
#endif

/// Sizes glibc's per-thread cache of freed blocks for a server that allocates in bursts.
///
/// glibc keeps at most 7 freed blocks of each size in a thread's cache (`tcache`); a burst of
/// requests allocates and frees many more than that, and every allocation past the cache takes
/// the arena's slow path (`_int_malloc` was 10.5 % of the server's CPU under a pinned
/// StartWorkflow load). With 64 blocks per size that load cost about 12 % less CPU per call
/// (`BENCHMARKS.md`, "glibc's allocation cache"). glibc reads the setting only from
/// `GLIBC_TUNABLES` as a process starts, so ``restartTunedIfNeeded()`` adds it and replaces the
/// process with itself.
enum AllocatorTuning {
    /// The glibc tunable this sets.
    private static let tunable = "glibc.malloc.tcache_count"
    /// Freed blocks of each size a thread keeps for reuse (at most 64 sizes, up to 1 KiB each).
    private static let cachedBlocksPerSize = 64
    /// Set across the restart, so the restarted process never restarts again whatever glibc
    /// did with the tunable.
    private static let restartMarker = "WORKFLOWD_ALLOCATOR_RESTARTED"

    /// What ``restartTunedIfNeeded()`` did, for the start-up log.
    enum Outcome: String {
        /// This process is the restarted one.
        case restarted
        /// `GLIBC_TUNABLES` already set the tunable: the operator's value stands.
        case operatorSetting = "operator"
        /// glibc runs this process in secure mode (set-user-ID, file capabilities, …), where it
        /// drops or ignores the tunable.
        case secureMode = "secure"
        /// The program's own file could not be found (no `/proc`, or started through the
        /// dynamic loader, whose file is not this program).
        case programUnknown = "program_unknown"
        /// `execv` failed (the program's file was replaced or removed since it started, say).
        case restartFailed = "restart_failed"
        /// Not Linux with glibc.
        case unsupported
    }

    /// Replaces the process with the same program, arguments, process ID and open files, with
    /// ``tunable`` added to `GLIBC_TUNABLES`; returns only when it does not, with the
    /// environment as it was.
    ///
    /// Call first thing, before any thread of the program's own starts or any file opens.
    ///
    /// - Returns: Why the process was not restarted, or ``Outcome/restarted`` in the restarted
    ///   process (the marker an operator's environment might carry reads the same way).
    static func restartTunedIfNeeded() -> Outcome {
        #if os(Linux) && canImport(Glibc)
        if getenv(restartMarker) != nil {
            unsetenv(restartMarker)
            return .restarted
        }
        let current = getenv("GLIBC_TUNABLES").map { String(cString: $0) }
        let named = (current ?? "").split(separator: ":").contains { $0.hasPrefix("\(tunable)=") }
        if named { return .operatorSetting }
        if isSecureMode() { return .secureMode }
        guard let program = ownPath() else { return .programUnknown }
        let setting = "\(tunable)=\(cachedBlocksPerSize)"
        setenv("GLIBC_TUNABLES", current.map { $0.isEmpty ? setting : "\($0):\(setting)" } ?? setting, 1)
        setenv(restartMarker, "1", 1)
        // A new program keeps the signal mask of the thread that executed it, and Dispatch's
        // workers, where `run()` may run, block most signals. (No test sees the difference:
        // workflowd's signal handling blocks its signals itself.) The calls' results go
        // unchecked: a failure leaves a process that still restarts at most once (the marker).
        var noSignals = sigset_t()
        var previousMask = sigset_t()
        sigemptyset(&noSignals)
        pthread_sigmask(SIG_SETMASK, &noSignals, &previousMask)
        execv(program, CommandLine.unsafeArgv)
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        unsetenv(restartMarker)
        if let current {
            setenv("GLIBC_TUNABLES", current, 1)
        } else {
            unsetenv("GLIBC_TUNABLES")
        }
        return .restartFailed
        #else
        return .unsupported
        #endif
    }

    #if os(Linux) && canImport(Glibc)
    /// The path of the running program's file as the kernel has it (bytes, NUL-terminated; a
    /// symbolic link's target, whose name the restarted process then bears); nil when it
    /// cannot be read whole or is the dynamic loader's (`ld-linux-x86-64.so.2 workflowd`).
    private static func ownPath() -> [CChar]? {
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0, length < path.count - 1 else { return nil }
        let name = path[..<length].split(separator: CChar(UInt8(ascii: "/"))).last ?? []
        if name.starts(with: "ld-".utf8.map { CChar(bitPattern: $0) }) { return nil }
        return Array(path[...length])
    }

    /// Whether the kernel told glibc to run this process in secure mode (`AT_SECURE` in the
    /// auxiliary vector, which Swift's Glibc module does not export `getauxval` for).
    private static func isSecureMode() -> Bool {
        let atSecure: UInt = 23
        guard let auxv = fopen("/proc/self/auxv", "rb") else { return false }
        defer { fclose(auxv) }
        // Entries are pairs of machine words; type 0 ends the vector.
        var entry: (type: UInt, value: UInt) = (0, 0)
        while fread(&entry, MemoryLayout.size(ofValue: entry), 1, auxv) == 1, entry.type != 0 {
            if entry.type == atSecure { return entry.value != 0 }
        }
        return false
    }
    #endif

    /// `GLIBC_TUNABLES` as the process runs with it, for the start-up log; nil when unset.
    static var effectiveTunables: String? {
        #if os(Linux) && canImport(Glibc)
        getenv("GLIBC_TUNABLES").map { String(cString: $0) }
        #else
        nil
        #endif
    }
}
