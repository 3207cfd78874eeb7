/// A step's id as the engine makes it, `<job id>-s<n>`, kept as the job's id (one string the
/// job's steps share) and the number; any other id kept whole.
///
/// A job's steps are the most numerous objects a workflow holds: their ids made as strings of
/// their own were one more cold object per step for a GetWorkflow to read (a read of a tree not
/// in the encoding cache went from 13.3 to 12.4 µs of server CPU without them) and one more
/// allocation per step logged. Encoders write the id from its parts (``utf8Count``,
/// ``copyUTF8(to:)``) without building it.
///
/// An id splits one way only (see ``numberedSuffix(of:)``), so equal ids have equal parts and
/// the synthesized `Hashable` compares ids.
@usableFromInline
package struct StepID: Sendable, Hashable {
    /// The id up to its `-s<number>`, or the whole id when ``number`` is 0.
    @usableFromInline let prefix: String
    /// The number after ``prefix``'s `-s`, or 0 when ``prefix`` is the whole id.
    @usableFromInline let number: UInt32

    /// The id `text`, split into its parts when it is a numbered step's.
    package init(_ text: String) {
        if let (prefixEnd, number) = Self.numberedSuffix(of: text.utf8) {
            prefix = String(Substring(text.utf8[..<prefixEnd]))
            self.number = number
        } else {
            prefix = text
            number = 0
        }
    }

    /// The id of step `number` of job `jobID`: `<jobID>-s<number>`.
    package init(number: Int, ofJob jobID: String) {
        if number > 0, let number = UInt32(exactly: number) {
            prefix = jobID
            self.number = number
        } else {
            self = StepID("\(jobID)-s\(number)")
        }
    }

    /// The id whose UTF-8 is `utf8`, sharing `jobID`'s string when it is `<jobID>-s<n>`: for
    /// decoders, which know the step's job.
    ///
    /// (Of a concrete type, not generic: unspecialized across modules, decoding one id
    /// allocated dozens of times.)
    package init(utf8: UnsafeRawBufferPointer, sharingPrefixWith jobID: String?) {
        guard let (prefixEnd, number) = Self.numberedSuffix(of: utf8) else {
            prefix = String(decoding: utf8, as: UTF8.self)
            self.number = 0
            return
        }
        let prefixUTF8 = UnsafeRawBufferPointer(rebasing: utf8[..<prefixEnd])
        if let jobID, prefixUTF8.elementsEqual(jobID.utf8) {
            prefix = jobID
        } else {
            prefix = String(decoding: prefixUTF8, as: UTF8.self)
        }
        self.number = number
    }

    /// The id as one string, built when it is numbered.
    package var text: String {
        guard number > 0 else { return prefix }
        let count = utf8Count
        return String(unsafeUninitializedCapacity: count) { buffer in
            copyUTF8(to: UnsafeMutableRawPointer(buffer.baseAddress!))
            return count
        }
    }

    /// The number of UTF-8 bytes of ``text``.
    @inlinable
    package var utf8Count: Int {
        prefix.utf8.count + (number == 0 ? 0 : 2 + Self.decimalDigitCount(number))
    }

    /// Writes ``text``'s UTF-8 (``utf8Count`` bytes, no terminator) at `destination`, without
    /// building it.
    @inlinable
    package func copyUTF8(to destination: UnsafeMutableRawPointer) {
        let prefixCount = prefix.utf8.count
        if prefixCount > 0 {
            let copied: Void? = prefix.utf8.withContiguousStorageIfAvailable { utf8 in
                destination.copyMemory(from: utf8.baseAddress!, byteCount: prefixCount)
            }
            if copied == nil {
                _ = UnsafeMutableRawBufferPointer(start: destination, count: prefixCount).initializeMemory(as: UInt8.self, from: prefix.utf8)
            }
        }
        guard number > 0 else { return }
        destination.storeBytes(of: UInt8(ascii: "-"), toByteOffset: prefixCount, as: UInt8.self)
        destination.storeBytes(of: UInt8(ascii: "s"), toByteOffset: prefixCount + 1, as: UInt8.self)
        var rest = number
        var offset = prefixCount + 2 + Self.decimalDigitCount(number)
        repeat {
            offset -= 1
            destination.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: offset, as: UInt8.self)
            rest /= 10
        } while rest > 0
    }

    /// Where the prefix of a numbered step's id ends, and its number: `utf8` is the prefix,
    /// `-s`, and a number from 1 through `UInt32.max` written without leading zeros. `nil` for
    /// any other id.
    ///
    /// The number is the longest run of digits that ends the id, so an id splits one way only.
    static func numberedSuffix<Bytes: BidirectionalCollection<UInt8>>(of utf8: Bytes) -> (prefixEnd: Bytes.Index, number: UInt32)? {
        var digitsStart = utf8.endIndex
        var digitCount = 0
        while digitsStart > utf8.startIndex {
            let before = utf8.index(before: digitsStart)
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(utf8[before]) else { break }
            digitsStart = before
            digitCount += 1
            guard digitCount <= 10 else { return nil }
        }
        guard digitCount > 0, utf8[digitsStart] != UInt8(ascii: "0"),
              utf8.distance(from: utf8.startIndex, to: digitsStart) >= 2 else { return nil }
        var value: UInt64 = 0
        for digit in utf8[digitsStart...] {
            value = value * 10 + UInt64(digit - UInt8(ascii: "0"))
        }
        let sIndex = utf8.index(before: digitsStart)
        let dashIndex = utf8.index(before: sIndex)
        guard let number = UInt32(exactly: value), utf8[sIndex] == UInt8(ascii: "s"), utf8[dashIndex] == UInt8(ascii: "-") else {
            return nil
        }
        return (dashIndex, number)
    }

    @inlinable
    static func decimalDigitCount(_ number: UInt32) -> Int {
        var count = 1
        var rest = number / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        return count
    }
}
