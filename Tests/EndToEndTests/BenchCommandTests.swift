import Foundation
import Testing

/// `gradbook bench` through the real binary: the JSON the comparison scripts read, and its
/// errors. (The figures themselves come from release builds, never from tests.)
@Suite struct BenchCommandTests {
    func jsonObject(_ text: String) throws -> [String: Any] {
        let line = try #require(text.split(separator: "\n").last.map(String.init))
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test func scalarChainAndMoonsReportThePeersKeysAndMatchTheReferences() throws {
        let output = try Binary.run(["bench", "scalar_chain", "moons_mlp", "--sizes", "1000", "--json",
                                     "--data", Binary.packageRoot.appendingPathComponent("bench/data").path])
        #expect(output.status == 0, "\(output.stderr)")
        let document = try jsonObject(output.stdout)
        #expect(document["system"] as? String == "gradbook")
        let chain = try #require((document["scalar_chain"] as? [[String: Any]])?.first)
        #expect(chain["n_nodes"] as? Int == 1000)
        #expect(chain["checksum_matches_reference"] as? Bool == true)
        #expect((chain["ns_per_node_total"] as? [String: Any])?["median"] is Double)
        let moons = try #require(document["moons_mlp"] as? [String: Any])
        #expect(moons["matches_reference"] as? Bool == true)
        #expect(moons["accuracy_final"] as? Double == 1.0)
    }

    @Test func missingMoonsDataIsOneClearLine() throws {
        let directory = try Binary.temporaryDirectory()
        let output = try Binary.run(["bench", "moons_mlp", "--data", directory.path])
        #expect(output.status == 1)
        #expect(output.stderr == "gradbook bench: cannot read \(directory.path)/moons.json: run from the repository, "
                + "or pass --data with the folder holding moons.json and moons_init.json\n")
    }

    @Test func sizesThatAreNotWholeChainStepsAreAUsageError() throws {
        let output = try Binary.run(["bench", "scalar_chain", "--sizes", "10"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--sizes takes multiples of 4"))
    }
}
