import Foundation
import CPostgreSQL

/// The one error type of the PostgreSQL layer: what the server (or libpq) said, about which
/// statement, read as one line.
public struct PostgresError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The server refused a statement (`sqlState` says why).
        case server
        /// No connection could be made (`location` names the server).
        case cannotConnect
        /// The server closed the connection during a call: restarted, killed, or the network
        /// went away. The next call outside a transaction reconnects.
        case connectionClosed
        /// gradbook's own use of the connection was wrong (an out-of-range parameter index, …).
        case client
    }

    public var kind: Kind
    /// `ERROR`, `FATAL`, … (server errors).
    public var severity: String
    /// The five-character SQLSTATE, e.g. `42501` (insufficient privilege).
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The statement that failed, as gradbook wrote it.
    public var sql: String?
    /// The server as messages show it, never with a password (connection errors).
    public var location: String?
    /// The statement was a write sent ahead in a transaction's pipeline: its error arrived at a
    /// later statement of the same transaction.
    public var wasSentAhead: Bool

    public init(kind: Kind, severity: String = "ERROR", sqlState: String? = nil, message: String,
                detail: String? = nil, hint: String? = nil, sql: String? = nil, location: String? = nil,
                wasSentAhead: Bool = false) {
        self.kind = kind
        self.severity = severity
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.sql = sql
        self.location = location
        self.wasSentAhead = wasSentAhead
    }

    /// The lanes refused a row: row-level security (42501) or a foreign key that includes the
    /// owner (23503 on a `…_same_owner` constraint), i.e. a row for someone else's session.
    public var isLaneRefusal: Bool {
        sqlState == "42501" || (sqlState == "23503" && "\(message) \(detail ?? "")".contains("_same_owner"))
    }

    static func client(_ message: String, sql: String? = nil) -> PostgresError {
        PostgresError(kind: .client, message: message, sql: sql)
    }

    static func cannotConnect(to location: String, reason: String) -> PostgresError {
        PostgresError(kind: .cannotConnect, severity: "FATAL", message: firstLine(reason), location: location)
    }

    static func connectionClosed(at location: String, reason: String?, sql: String?) -> PostgresError {
        PostgresError(kind: .connectionClosed, severity: "FATAL", message: reason.map(firstLine) ?? "",
                      sql: sql, location: location)
    }

    public var description: String {
        switch kind {
        case .cannotConnect:
            return "cannot connect to PostgreSQL at \(location ?? "?"): \(message)"
        case .connectionClosed:
            // libpq's own words for an unexplained close would only repeat ours.
            let reason = message.isEmpty || message.hasPrefix("server closed the connection")
                ? " unexpectedly" : ": \(message)"
            return "the PostgreSQL server at \(location ?? "?") closed the connection\(reason)"
        case .client:
            return message + PostgresError.statementSuffix(sql, sentAhead: false)
        case .server:
            var text = severity
            if let sqlState { text += " \(sqlState)" }
            text += ": \(PostgresError.oneLine(message))"
            if let detail, !detail.isEmpty { text += " — \(PostgresError.oneLine(detail))" }
            if let hint, !hint.isEmpty { text += " (hint: \(PostgresError.oneLine(hint)))" }
            return text + PostgresError.statementSuffix(sql, sentAhead: wasSentAhead)
        }
    }

    private static func statementSuffix(_ sql: String?, sentAhead: Bool) -> String {
        guard let sql, !sql.isEmpty else { return "" }
        let text = oneLine(sql)
        let shown = text.count > 120 ? String(text.prefix(117)) + "..." : text
        return sentAhead ? " (in: \(shown); a write sent ahead earlier in this transaction)" : " (in: \(shown))"
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
    }

    static func firstLine(_ text: String) -> String {
        String(text.prefix { !$0.isNewline }).trimmingCharacters(in: .whitespaces)
    }

    /// The error a failed result describes.
    init(result: OpaquePointer, sql: String?, wasSentAhead: Bool) {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let primary = field(UInt8(ascii: "M"))
        self.init(kind: .server,
                  severity: field(UInt8(ascii: "V")) ?? field(UInt8(ascii: "S")) ?? "ERROR",
                  sqlState: field(UInt8(ascii: "C")),
                  message: primary ?? PostgresError.firstLine(PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error"),
                  detail: field(UInt8(ascii: "D")),
                  hint: field(UInt8(ascii: "H")),
                  sql: sql,
                  wasSentAhead: wasSentAhead)
    }
}
