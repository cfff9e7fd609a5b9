import ArgumentParser
import Foundation
import GradStore

/// `gradbook db`: setting up a history that many users share on one PostgreSQL server.
struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Set up a shared PostgreSQL history: its schema, its group role, and who may record into it.",
        subcommands: [DbInitCommand.self, DbGrantCommand.self]
    )
}

struct DbInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create or migrate the history's schema and give the group role its privileges.",
        discussion: """
            On PostgreSQL: creates the tables, views and row-level security policies (or migrates \
            them), creates the group role (NOLOGIN) if it is missing, and grants it SELECT on \
            everything, INSERT, and UPDATE of the few columns gradbook updates; never DELETE, \
            TRUNCATE or server files. Run it as the database's owner; run it again after \
            upgrading gradbook. On a SQLite file: creates or migrates the file (a file has no roles).
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .long, help: ArgumentHelp("The group role whose members record and read (PostgreSQL; default 'gradbook').", valueName: "name"))
    var group: String?

    func run() throws {
        switch database.location {
        case .sqlite(let path):
            if group != nil {
                throw CommandFailure(message: "gradbook db init: \(path) is a SQLite file, which has no roles: --group is for PostgreSQL histories")
            }
            let store = try database.open(.readWrite)
            print("\(store.location): gradbook schema \(store.schemaVersion)")
        case .postgresql(let conninfo):
            let report = try DbCommand.administer(conninfo) { connection in
                try PostgresAdministration.initialize(connection, group: group ?? PostgresAdministration.defaultGroup)
            }
            report.forEach { print($0) }
        }
    }
}

struct DbGrantCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "Let a PostgreSQL role record into the history and read it: make it a member of the group.",
        discussion: """
            The role reads every session and inserts and updates rows of its own sessions only. \
            With --create-login a missing role is created with LOGIN and no password: give it one \
            with ALTER ROLE … PASSWORD, or authenticate it in pg_hba.conf.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Argument(help: ArgumentHelp("The user's PostgreSQL role, taken literally (as createuser takes it).", valueName: "role"))
    var role: String

    @Option(name: .long, help: ArgumentHelp("The group role that `gradbook db init` set up (default 'gradbook').", valueName: "name"))
    var group: String?

    @Flag(name: .long, help: "Create the role (LOGIN, no password) if it does not exist.")
    var createLogin = false

    func run() throws {
        switch database.location {
        case .sqlite(let path):
            throw CommandFailure(message: "gradbook db grant: \(path) is a SQLite file, which has no roles: who may write it is up to its file permissions")
        case .postgresql(let conninfo):
            let report = try DbCommand.administer(conninfo) { connection in
                try PostgresAdministration.grant(role, group: group ?? PostgresAdministration.defaultGroup,
                                                 createLogin: createLogin, on: connection)
            }
            report.forEach { print($0) }
        }
    }
}

extension DbCommand {
    /// Connects as the administrator the location names, and turns every failure into one line.
    static func administer(_ conninfo: String, _ body: (any SQLConnection) throws -> [String]) throws -> [String] {
        do {
            let connection = try PostgresConnection(conninfo: conninfo, mode: .readWrite)
            return try body(connection)
        } catch {
            throw CommandFailure(message: "gradbook: \(error)")
        }
    }
}
