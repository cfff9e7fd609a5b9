/// Many rows sent as one statement: each column's values as one array parameter, which the
/// server turns back into rows (`INSERT … SELECT * FROM unnest($1::bigint[], $2::text[], …)`).
///
/// Why: on PostgreSQL every statement costs the server a parse-bind-execute cycle and its
/// executor start-up, which for the narrow rows of a training step is most of the work; one
/// statement for a whole group of steps pays it once. The statement's text does not depend on
/// the number of rows, so it is prepared once per connection (a multi-row VALUES list would need
/// one prepared statement per row count). SQLite, whose statements cost little, has no arrays:
/// `SQLDialect.insertFromArrays` answers nil there and the store inserts row by row.
///
/// The arrays travel in PostgreSQL's binary array format (what `array_send` writes and
/// `array_recv` reads), bound as binary parameters: the server then copies the numbers instead
/// of parsing their digits (text arrays cost it a `strtod` per double, a fifth of its time for a
/// training step, measured), and the doubles keep every bit without the shortest-digits round trip.
struct SQLArrayColumns {
    enum ColumnType: String {
        case bigint
        case integer
        case double = "double precision"
        case text
        case bytea

        /// The element type's OID (`pg_type.dat`), which the binary array header names.
        var elementOID: UInt32 {
            switch self {
            case .bigint: return 20
            case .integer: return 23
            case .double: return 701
            case .text: return 25
            case .bytea: return 17
            }
        }
    }

    let types: [ColumnType]
    /// Elements per row of each column: 1, or a row of `width` elements, which makes the
    /// column's array two-dimensional (rows × width).
    let widths: [Int]
    /// Each column's elements so far, each as its 4-byte length (-1: NULL) and its bytes.
    private var elements: [ByteBuffer]
    private var hasNull: [Bool]
    private(set) var rowCount = 0
    private var column = 0
    /// Elements of the current row appended to the current column so far.
    private var elementInColumn = 0

    init(_ types: [ColumnType], widths: [Int]? = nil) {
        precondition(widths.map { $0.count == types.count && $0.allSatisfy { $0 >= 1 } } ?? true, "one width of at least 1 per column")
        self.types = types
        self.widths = widths ?? Array(repeating: 1, count: types.count)
        elements = types.map { _ in ByteBuffer() }
        hasNull = Array(repeating: false, count: types.count)
    }

    /// Appends the next column's value of the current row (columns in order, row after row).
    mutating func append(_ value: Int64?) {
        precondition(types[column] == .bigint, "column \(column) is not bigint")
        if let value {
            elements[column].appendEightByteElement(UInt64(bitPattern: value))
        } else {
            appendNull()
        }
        advance()
    }

    mutating func append(_ value: Int32?) {
        precondition(types[column] == .integer, "column \(column) is not integer")
        if let value {
            elements[column].appendBigEndian(UInt32(4))
            elements[column].appendBigEndian(UInt32(bitPattern: value))
        } else {
            appendNull()
        }
        advance()
    }

    /// NaN is NULL, as a bound NaN double is (see PostgresValues.appendText(of:to:)).
    mutating func append(_ value: Double?) {
        precondition(types[column] == .double, "column \(column) is not double precision")
        appendElement(value)
        advance()
    }

    /// Four `append(_: Double?)` in one, within a row of the current column: a summary's
    /// statistics, which a group of training steps holds two of per param and step.
    mutating func append(_ first: Double?, _ second: Double?, _ third: Double?, _ fourth: Double?) {
        precondition(types[column] == .double && elementInColumn + 4 <= widths[column],
                     "column \(column) is not double precision or has no room for four more in its row")
        if elements[column].appendDoubleElements(first, second, third, fourth) { hasNull[column] = true }
        // Three counted here; advance() counts the fourth and moves on once the row is full.
        elementInColumn += 3
        advance()
    }

    private mutating func appendElement(_ value: Double?) {
        if let value, !value.isNaN {
            elements[column].appendEightByteElement(value.bitPattern)
        } else {
            appendNull()
        }
    }

    /// PostgreSQL's text cannot hold a NUL character: such a value is refused, not cut short.
    mutating func append(_ value: String?) throws {
        precondition(types[column] == .text, "column \(column) is not text")
        if var value {
            // A native string's bytes are read in place, not copied into an array first.
            value.makeContiguousUTF8()
            if try value.utf8.withContiguousStorageIfAvailable({ try appendText($0, of: value) }) == nil {
                try Array(value.utf8).withUnsafeBufferPointer { try appendText($0, of: value) }
            }
        } else {
            appendNull()
        }
        advance()
    }

    private mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>, of value: String) throws {
        if bytes.contains(0) {
            throw StoreError.invalidRecord("text \(String(reflecting: value)) contains a NUL character, which PostgreSQL text cannot store")
        }
        guard let length = UInt32(exactly: bytes.count), length <= UInt32(Int32.max) else {
            throw StoreError.invalidRecord("text of \(bytes.count) bytes is too long for one PostgreSQL value")
        }
        elements[column].appendBigEndian(length)
        elements[column].append(contentsOf: UnsafeRawBufferPointer(bytes))
    }

    /// The bytes are copied.
    mutating func append(bytes: UnsafeRawBufferPointer) {
        precondition(types[column] == .bytea, "column \(column) is not bytea")
        elements[column].appendBigEndian(UInt32(truncatingIfNeeded: bytes.count))
        elements[column].append(contentsOf: bytes)
        advance()
    }

    /// Appends a row of NULLs, every element of every column.
    mutating func appendNullRow() {
        precondition(column == 0 && elementInColumn == 0, "a row is incomplete")
        for index in types.indices {
            for _ in 0..<widths[index] {
                appendNull()
                advance()
            }
        }
    }

    /// Column `index`'s array (0-based) in the binary format: dimensions, flags, element type,
    /// each dimension's length and lower bound (1), then the elements in row-major order.
    func binaryArray(_ index: Int) -> [UInt8] {
        // An empty array has no dimensions (as `array_send` writes it).
        let dimensions = rowCount == 0 ? [] : widths[index] == 1 ? [rowCount] : [rowCount, widths[index]]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(12 + 8 * dimensions.count + elements[index].count)
        Self.appendBigEndian(UInt32(dimensions.count), to: &bytes)
        Self.appendBigEndian(UInt32(hasNull[index] ? 1 : 0), to: &bytes)
        Self.appendBigEndian(types[index].elementOID, to: &bytes)
        for length in dimensions {
            Self.appendBigEndian(UInt32(truncatingIfNeeded: length), to: &bytes)
            Self.appendBigEndian(UInt32(1), to: &bytes)
        }
        elements[index].withUnsafeBytes { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Binds every column's array to parameters `first`, `first` + 1, … of `statement`, as
    /// binary parameters.
    func bind(to statement: any SQLStatement, from first: Int32 = 1) throws {
        precondition(column == 0 && elementInColumn == 0, "a row is incomplete")
        let (elementCount, overflow) = rowCount.multipliedReportingOverflow(by: widths.max() ?? 1)
        guard !overflow, elementCount <= Int(Int32.max) else { throw StoreError.invalidRecord("\(rowCount) rows are too many for one statement") }
        for index in types.indices {
            try binaryArray(index).withUnsafeBytes { try statement.bind(blob: $0, at: first + Int32(index)) }
        }
    }

    private mutating func appendNull() {
        elements[column].appendBigEndian(UInt32.max)
        hasNull[column] = true
    }

    private mutating func advance() {
        elementInColumn += 1
        guard elementInColumn == widths[column] else { return }
        elementInColumn = 0
        column += 1
        if column == types.count {
            column = 0
            rowCount += 1
        }
    }

    private static func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
