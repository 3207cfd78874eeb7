#if os(Linux) && canImport(Glibc)
import Glibc
#endif

/// Sizes glibc's per-thread cache of freed blocks for a server that allocates in bursts.
///
/// glibc keeps at most 7 freed blocks of each size in a thread's cache (`tcache`); a burst of
/// requests allocates and frees many more than that, and every allocation past the cache takes
/// the arena's slow path (`_int_malloc` was 10.5 % of the server's CPU under a pinned
/// StartWorkflow load). With 64 blocks per size that load cost about 13 % less CPU per call and
/// the retained-history scenario's RSS rose by 2 MiB (`BENCHMARKS.md`). glibc reads the setting
/// only from `GLIBC_TUNABLES` as a process starts, so ``restartTunedIfNeeded()`` adds it and
/// replaces the process with itself.
enum AllocatorTuning {
    /// The glibc tunable this sets.
    static let tunable = "glibc.malloc.tcache_count"
    /// Freed blocks of each size a thread keeps for reuse (at most 64 sizes, up to 1 KiB each).
    static let cachedBlocksPerSize = 64

    /// Replaces the process with the same program, arguments, process ID and open files, with
    /// ``tunable`` added to `GLIBC_TUNABLES`. Returns, having changed nothing, when the variable
    /// names the tunable already (an operator's own value wins, and the restarted process
    /// finds ours), when the process runs set-user-ID or set-group-ID (glibc ignores the
    /// variable there, so it would restart again and again), or when the restart fails (the
    /// program's file was replaced or removed since it started, say).
    ///
    /// Call first thing, before any thread of the program's own starts or any file opens.
    static func restartTunedIfNeeded() {
        #if os(Linux) && canImport(Glibc)
        let current = getenv("GLIBC_TUNABLES").map { String(cString: $0) } ?? ""
        let named = current.split(separator: ":").contains { $0.split(separator: "=").first == Substring(tunable) }
        guard !named, getuid() == geteuid(), getgid() == getegid() else { return }
        // The program's own path rather than `/proc/self/exe`: the kernel names the process
        // after the file it executes, and `ps`, `pgrep` and `top` should still say `workflowd`.
        guard let program = ownPath() else { return }
        let setting = "\(tunable)=\(cachedBlocksPerSize)"
        setenv("GLIBC_TUNABLES", current.isEmpty ? setting : "\(current):\(setting)", 1)
        execv(program, CommandLine.unsafeArgv)
        // Only when the exec failed: run untuned, as the operator's environment had it.
        if current.isEmpty {
            unsetenv("GLIBC_TUNABLES")
        } else {
            setenv("GLIBC_TUNABLES", current, 1)
        }
        #endif
    }

    #if os(Linux) && canImport(Glibc)
    /// The path of the running program's file, nil when it cannot be read.
    private static func ownPath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
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
