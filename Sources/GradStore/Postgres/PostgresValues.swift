import CPostgreSQL

/// The wire format of values (pg-plan.md): parameters go as text, except blobs, which go as
/// binary `bytea`; results come back as text and are typed by their column's type OID, so
/// that both backends hand the store the same `SQLValue`s.
enum PostgresValues {
    /// libpq's parameter formats.
    static let textFormat: Int32 = 0
    static let binaryFormat: Int32 = 1

    /// Appends a double's parameter text and its NUL: Swift's shortest round-trip digits
    /// (PostgreSQL 12 and later read them back to the same bits), `Infinity` / `-Infinity`.
    /// A NaN is never sent: it is bound as NULL, because SQLite stores a NaN REAL as NULL and
    /// both backends must answer alike.
    static func appendText(of value: Double, to buffer: inout [UInt8]) {
        if value.isInfinite {
            buffer.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
        } else {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: ShortestDouble.maximumLength) { digits in
                guard let out = digits.baseAddress else { return }
                let length = ShortestDouble.write(value, to: out)
                buffer.append(contentsOf: UnsafeBufferPointer(start: out, count: length))
            }
        }
        buffer.append(0)
    }

    /// Appends an integer's decimal text and its NUL.
    static func appendText(of value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - count)...]))
        }
        buffer.append(0)
    }

    /// Type OIDs (PostgreSQL's `pg_type.dat`; fixed since 7.x).
    enum TypeOID {
        static let bool: Oid = 16
        static let bytea: Oid = 17
        static let int8: Oid = 20
        static let int2: Oid = 21
        static let int4: Oid = 23
        static let oid: Oid = 26
        static let float4: Oid = 700
        static let float8: Oid = 701
        static let numeric: Oid = 1700
    }

    enum Conversion {
        case integer, real, numeric, boolean, blob, text

        init(type: Oid) {
            switch type {
            case TypeOID.int2, TypeOID.int4, TypeOID.int8, TypeOID.oid: self = .integer
            case TypeOID.float4, TypeOID.float8: self = .real
            case TypeOID.numeric: self = .numeric
            case TypeOID.bool: self = .boolean
            case TypeOID.bytea: self = .blob
            default: self = .text
            }
        }
    }

    /// One field of a text-format result.
    static func value(_ bytes: UnsafeRawBufferPointer, as conversion: Conversion) -> SQLValue {
        switch conversion {
        case .integer:
            return parseInteger(bytes).map(SQLValue.integer) ?? .text(String(decoding: bytes, as: UTF8.self))
        case .real:
            return Double(String(decoding: bytes, as: UTF8.self)).map(SQLValue.real)
                ?? .text(String(decoding: bytes, as: UTF8.self))
        case .numeric:
            // PostgreSQL's sum() of bigints is numeric where SQLite's is an INTEGER: digits
            // alone that fit are an integer. With a fraction (avg() gives `2.0000000000000000`)
            // it is a REAL, as SQLite's avg() is.
            if let integer = parseInteger(bytes) { return .integer(integer) }
            return Double(String(decoding: bytes, as: UTF8.self)).map(SQLValue.real)
                ?? .text(String(decoding: bytes, as: UTF8.self))
        case .boolean:
            return .integer(bytes.first == UInt8(ascii: "t") ? 1 : 0)
        case .blob:
            return .blob(decodeBytea(bytes))
        case .text:
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Decimal digits with an optional sign, and nothing else, that fit an Int64.
    static func parseInteger(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        guard index < bytes.count else { return nil }
        // Accumulate negatively so Int64.min parses.
        var value: Int64 = 0
        while index < bytes.count {
            let digit = Int64(bytes[index]) - 48
            guard (0...9).contains(digit) else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(digit)
            guard !overflowA, !overflowB else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        let (positive, overflow) = Int64(0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    /// `bytea_output = hex` text (`\x0a1b…`), which the connection sets for its session.
    static func decodeBytea(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x") else {
            return decodeEscapedBytea(bytes)
        }
        func nibble(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            default: return byte &- UInt8(ascii: "A") &+ 10
            }
        }
        let count = (bytes.count - 2) / 2
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                buffer[index] = nibble(bytes[2 + 2 * index]) << 4 | nibble(bytes[3 + 2 * index])
            }
            initialized = count
        }
    }

    /// The older `escape` output, should a server-side setting force it.
    private static func decodeEscapedBytea(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let text = Array(bytes) + [0]
        var length = 0
        guard let decoded = text.withUnsafeBufferPointer({ PQunescapeBytea($0.baseAddress, &length) }) else { return [] }
        defer { PQfreemem(decoded) }
        return Array(UnsafeBufferPointer(start: decoded, count: length))
    }
}

/// A `PGresult`, cleared when the last reference goes.
final class PostgresResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    var status: ExecStatusType { PQresultStatus(handle) }

    var isSuccess: Bool {
        let status = self.status
        return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY
    }

    var columnCount: Int32 { PQnfields(handle) }

    var columnNames: [String] {
        (0..<columnCount).map { PQfname(handle, $0).map { String(cString: $0) } ?? "" }
    }

    /// The command tag: `INSERT 0 1`, `COMMIT`, `ROLLBACK`, …
    var commandTag: String {
        PQcmdStatus(handle).map { String(cString: $0) } ?? ""
    }

    /// Rows an INSERT, UPDATE, DELETE or MERGE changed (0 for anything else: a SELECT's count
    /// is not a change, as in SQLite's `changes`).
    var changedRows: Int {
        let tag = commandTag
        guard ["INSERT ", "UPDATE ", "DELETE ", "MERGE "].contains(where: tag.hasPrefix) else { return 0 }
        return PQcmdTuples(handle).flatMap { Int(String(cString: $0)) } ?? 0
    }

    var rows: [[SQLValue]] {
        let columns = columnCount
        let conversions = (0..<columns).map { PostgresValues.Conversion(type: PQftype(handle, $0)) }
        return (0..<PQntuples(handle)).map { row in
            (0..<columns).map { column in
                if PQgetisnull(handle, row, column) == 1 { return SQLValue.null }
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(handle, row, column),
                                                   count: Int(PQgetlength(handle, row, column)))
                return PostgresValues.value(bytes, as: conversions[Int(column)])
            }
        }
    }
}
