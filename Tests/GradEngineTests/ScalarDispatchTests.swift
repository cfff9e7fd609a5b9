@testable import GradEngine
import Testing

/// `ScalarKernels`' switch by op code must compute exactly what each row's scalar rule
/// computes (it calls the same formulas directly so they inline; a wrong case would pair
/// an op with another op's formula).
@Suite struct ScalarDispatchTests {
    private static let inputs: [Double] = [0.7, -1.3, 0, -0.0, 2, 1e300, -.infinity, .nan, 0.5]

    private func same(_ x: Double, _ y: Double) -> Bool { x.bitPattern == y.bitPattern }

    @Test func dispatchMatchesEveryRow() {
        let g = -0.45
        for rule in OpRule.table {
            guard let scalar = rule.scalar else { continue }
            switch scalar {
            case .unary(let forward, let derivative):
                for x in Self.inputs {
                    let y = forward(x)
                    #expect(same(ScalarKernels.forward(rule.op, x, rule: forward), y), "\(rule.name)(\(x))")
                    #expect(same(ScalarKernels.vjp(rule.op, x, y, g, rule: derivative), derivative(x, y, g)), "\(rule.name)(\(x))")
                }
            case .binary(let forward, let first, let second):
                for a in Self.inputs {
                    for b in Self.inputs {
                        let y = forward(a, b)
                        #expect(same(ScalarKernels.forward(rule.op, a, b, rule: forward), y), "\(rule.name)(\(a), \(b))")
                        let (ga, gb) = ScalarKernels.vjp(rule.op, a, b, y, g, first: true, second: true, rules: (first, second))
                        #expect(same(ga, first(a, b, y, g)), "\(rule.name)(\(a), \(b)) first")
                        #expect(same(gb, second(a, b, y, g)), "\(rule.name)(\(a), \(b)) second")
                        let (onlyA, _) = ScalarKernels.vjp(rule.op, a, b, y, g, first: true, second: false, rules: (first, second))
                        let (_, onlyB) = ScalarKernels.vjp(rule.op, a, b, y, g, first: false, second: true, rules: (first, second))
                        #expect(same(onlyA, first(a, b, y, g)) && same(onlyB, second(a, b, y, g)), "\(rule.name)(\(a), \(b)) one side")
                    }
                }
            }
        }
    }
}
