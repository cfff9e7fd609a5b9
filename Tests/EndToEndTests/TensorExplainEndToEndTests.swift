import Foundation
import Testing

/// `%explain` on a tensor graph through the real binary, as a user runs a notebook.
@Suite struct TensorExplainEndToEndTests {
    @Test func aLayerIsExplainedRuleByRuleWithItsMatricesAligned() throws {
        let directory = try Binary.temporaryDirectory()
        let notebook = directory.appendingPathComponent("layer.grad")
        try """
        # %%
        X = [[1, 2], [3, 4], [5, 6]]
        W = param([[0.1, -0.2], [0.3, 0.4]])
        b = param([0.5, -0.5])
        z = X @ W + b
        h = tanh(z)
        L = mean(h^2)
        # %%
        %explain L
        """.write(to: notebook, atomically: true, encoding: .utf8)
        let output = try Binary.run(["run", notebook.path, "--db", directory.appendingPathComponent("e.db").path])
        #expect(output.status == 0, "\(output.stderr)")
        let expected = """
              dL/dW = X.T @ dL/dz
                  X.T   = [[1, 3, 5],
                           [2, 4, 6]]
                  dL/dz = [[ 0.08476,  0.03289],
                           [  0.0227,   0.1211],
                           [0.004858,   0.1163]]
                  dL/dW = [[0.1772, 0.9776],
                           [0.2895,  1.248]]
            """
        #expect(output.stdout.contains(expected), "\(output.stdout)")
        for rule in ["  dL/dz = dL/dh ⊙ (1 - h^2)\n", "  dL/db = sum over axis 0 of dL/dz\n", "  dL/dX = dL/dz @ W.T\n"] {
            #expect(output.stdout.contains(rule), "missing \(rule) in\n\(output.stdout)")
        }
    }
}
