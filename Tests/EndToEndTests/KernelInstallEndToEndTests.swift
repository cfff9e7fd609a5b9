import Foundation
import Testing

/// `gradbook kernel install --db`: a class's kernelspec names the shared history in its
/// environment, never a password (issue 12, item 7).
@Suite struct KernelInstallEndToEndTests {
    let prefix: URL

    init() throws {
        prefix = try Binary.temporaryDirectory()
    }

    func installedSpec() throws -> [String: Any] {
        let file = prefix.appendingPathComponent("share/jupyter/kernels/gradbook/kernel.json")
        let object = try JSONSerialization.jsonObject(with: try Data(contentsOf: file))
        return try #require(object as? [String: Any])
    }

    @Test func aPostgreSQLLocationGoesIntoTheKernelsEnvironment() throws {
        let location = "postgresql:///?service=gradbook"
        let output = try Binary.run(["kernel", "install", "--prefix", prefix.path, "--db", location])
        #expect(output.status == 0, "\(output.stderr)")
        let environment = try #require(try installedSpec()["env"] as? [String: String])
        #expect(environment == ["GRADBOOK_DB": location])
    }

    @Test func aRelativeFileIsMadeAbsoluteAndNoLocationMeansNoEnvironment() throws {
        let output = try Binary.run(["kernel", "install", "--prefix", prefix.path, "--db", "class/history.db"])
        #expect(output.status == 0, "\(output.stderr)")
        let environment = try #require(try installedSpec()["env"] as? [String: String])
        let expected = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("class/history.db").standardizedFileURL.path
        #expect(environment == ["GRADBOOK_DB": expected])

        #expect(try Binary.run(["kernel", "install", "--prefix", prefix.path]).status == 0)
        #expect(try installedSpec()["env"] == nil)
    }

    @Test(arguments: [
        "postgresql://alice:secret@db.example.org/class",
        "postgres://alice:secret@db.example.org:5433/class?sslmode=require",
        "postgresql://db.example.org/class?user=alice&password=secret",
        "host=db.example.org dbname=class password=secret",
    ])
    func aLocationWithAPasswordIsRefusedAndNothingIsWritten(location: String) throws {
        let output = try Binary.run(["kernel", "install", "--prefix", prefix.path, "--db", location])
        #expect(output.status == 2, "\(output.stderr)")
        #expect(output.stderr.contains("--db holds a password"), "\(output.stderr)")
        #expect(!output.stderr.contains("secret"), "\(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: prefix.appendingPathComponent("share/jupyter/kernels/gradbook").path))
    }
}
