/// Where a history lives, as `--db` / `GRADBOOK_DB` name it: a SQLite file (or `:memory:`), or
/// a PostgreSQL database in any form libpq accepts — a `postgresql://` or `postgres://` URI, or
/// a `key=value` connection string such as `service=gradbook` or `host=db dbname=class`.
public enum HistoryLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgresql(conninfo: String)

    /// libpq's connection keywords (libpq's `PQconndefaults`, PostgreSQL 15): a `--db` value
    /// whose first word is `keyword=` is a connection string, never a file name.
    static let libpqKeywords: Set<String> = [
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding",
        "connect_timeout", "client_encoding", "options", "application_name", "fallback_application_name",
        "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
        "sslmode", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslrootcert", "sslcrl",
        "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version",
        "gssencmode", "krbsrvname", "gsslib", "service", "target_session_attrs",
    ]

    public init(_ text: String) {
        if text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") {
            self = .postgresql(conninfo: text)
            return
        }
        let firstWord = text.drop { $0 == " " }.prefix { $0 != " " }
        if let equals = firstWord.firstIndex(of: "="),
           HistoryLocation.libpqKeywords.contains(String(firstWord[..<equals])) {
            self = .postgresql(conninfo: text)
            return
        }
        self = .sqlite(path: text)
    }

    /// Whether the text itself carries a password (`user:secret@` in a URI, `password=` as a
    /// key or URI parameter). Such a location must not be written anywhere (kernelspecs,
    /// notebooks, the database): libpq's `~/.pgpass`, `PGPASSWORD` and service files are the
    /// places for passwords.
    public var containsPassword: Bool {
        guard case .postgresql(let conninfo) = self else { return false }
        if conninfo.hasPrefix("postgres") {
            let afterScheme = conninfo.drop { $0 != "/" }.dropFirst(2)
            let authority = afterScheme.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") { return true }
            let query = conninfo.drop { $0 != "?" }.dropFirst()
            return query.split(separator: "&").contains { $0.hasPrefix("password=") }
        }
        return conninfo.split(separator: " ").contains { $0.hasPrefix("password=") }
    }

    /// The location as messages show it, with any password replaced by `***`.
    public var description: String {
        switch self {
        case .sqlite(let path):
            return path
        case .postgresql(let conninfo):
            return HistoryLocation.redactingPassword(conninfo)
        }
    }

    static func redactingPassword(_ conninfo: String) -> String {
        if conninfo.hasPrefix("postgres") {
            var text = conninfo
            if let schemeEnd = text.range(of: "://") {
                let rest = text[schemeEnd.upperBound...]
                let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
                let authority = rest[..<authorityEnd]
                if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                    text.replaceSubrange(text.index(after: colon)..<at, with: "***")
                }
            }
            guard let question = text.firstIndex(of: "?") else { return text }
            let parameters = text[text.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("password=") ? "password=***" : String($0) }
            return String(text[...question]) + parameters.joined(separator: "&")
        }
        return conninfo.split(separator: " ", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("password=") ? "password=***" : String($0) }
            .joined(separator: " ")
    }
}
