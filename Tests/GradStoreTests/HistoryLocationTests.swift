import GradStore
import Testing

@Suite struct HistoryLocationTests {
    @Test(arguments: [
        "postgresql:///class", "postgres://db.example.org:5433/class", "postgresql:///?service=gradbook",
        "service=gradbook", "host=/var/run/postgresql dbname=class", "  dbname=class user=alice",
    ])
    func libpqLocationsArePostgreSQL(text: String) {
        #expect(HistoryLocation(text) == .postgresql(conninfo: text))
    }

    @Test(arguments: ["gradbook.db", ":memory:", "/tmp/a=b.db", "runs/x.db", "mode=fast.db", "postgresql.db"])
    func everythingElseIsASQLiteFile(text: String) {
        #expect(HistoryLocation(text) == .sqlite(path: text))
    }

    @Test func passwordsAreFoundAndNeverShown() {
        let cases: [(String, String)] = [
            ("postgresql://alice:s3cret@db/class", "postgresql://alice:***@db/class"),
            ("postgresql://db/class?user=alice&password=s3cret&sslmode=require", "postgresql://db/class?user=alice&password=***&sslmode=require"),
            ("host=db password=s3cret dbname=class", "host=db password=*** dbname=class"),
        ]
        for (text, shown) in cases {
            let location = HistoryLocation(text)
            #expect(location.containsPassword)
            #expect(location.description == shown)
        }
        for text in ["postgresql://alice@db/class", "service=gradbook", "gradbook.db"] {
            #expect(!HistoryLocation(text).containsPassword)
            #expect(HistoryLocation(text).description == text)
        }
    }
}

@Suite struct SQLDialectTests {
    @Test func parametersBecomeDollarNumbersOutsideLiteralsOnPostgreSQL() {
        let sql = "SELECT '?1', \"a?\" FROM t WHERE a = ?2 AND b = ? AND c = ?1 -- why?\nAND d = ?"
        #expect(SQLDialect.postgresql.parameters(sql)
                == "SELECT '?1', \"a?\" FROM t WHERE a = $2 AND b = $3 AND c = $1 -- why?\nAND d = $4")
        #expect(SQLDialect.sqlite.parameters(sql) == sql)
        #expect(SQLDialect.postgresql.parameters("VALUES (?, ?, ?), (?, ?, ?)") == "VALUES ($1, $2, $3), ($4, $5, $6)")
    }

    @Test func globPatternsBecomeAnchoredRegularExpressions() {
        #expect(SQLDialect.postgresql.globArgument("train(*") == .text("^train\\(.*$"))
        #expect(SQLDialect.postgresql.globArgument("x?.[ab]*") == .text("^x.\\.[ab].*$"))
        #expect(SQLDialect.sqlite.globArgument("x*") == .text("x*"))
        #expect(SQLDialect.postgresql.insertReturningID("INSERT INTO t(a) VALUES (?1)") == "INSERT INTO t(a) VALUES (?1) RETURNING id")
    }
}

@Suite struct SQLTextTests {
    @Test func namedParametersAreFoundOutsideLiteralsAndCasts() {
        let sql = "SELECT ':session', \":session\", x::text FROM t WHERE a = :session AND b = :other -- :session\nAND c = :session"
        let rewritten = SQLText.rewritingParameters(sql) { $0 == .named("session") ? "42" : nil }
        #expect(rewritten == "SELECT ':session', \":session\", x::text FROM t WHERE a = 42 AND b = :other -- :session\nAND c = 42")
        var found: [SQLText.Parameter] = []
        _ = SQLText.rewritingParameters("VALUES (?1, ?, :a_1, ?7)") { found.append($0); return nil }
        #expect(found == [.numbered(1), .numbered(nil), .named("a_1"), .numbered(7)])
    }
}
