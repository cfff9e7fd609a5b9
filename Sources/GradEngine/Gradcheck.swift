import GradTensor

/// Backward-pass gradients compared with central finite differences.
public struct GradcheckReport: Sendable {
    /// One param's comparison.
    public struct ParamResult: Sendable {
        public let param: NodeID
        /// dTarget/dParam from the backward pass (zeros if the target does not depend on it).
        public let analytic: Tensor
        /// `(f(p + ε) − f(p − ε)) / 2ε`, element by element.
        public let numeric: Tensor
        public let maxAbsoluteError: Double
        /// See `GradcheckReport.maxRelativeError`.
        public let maxRelativeError: Double
        /// Flat index of the element with the largest relative error.
        public let worstElement: Int
    }

    public let target: NodeID
    public let epsilon: Double
    public let params: [ParamResult]
    /// Forward passes the finite differences made: two per element of every param.
    public let forwardPasses: Int
    /// Node evaluations over those passes (each re-runs the nodes between the perturbed param
    /// and the target that depend on it).
    public let evaluations: Int

    /// The worst over all elements of `|analytic − numeric| / max(|analytic|, |numeric|, 1)`:
    /// relative error for gradients above 1, absolute error below (NumPy's `allclose` with
    /// equal tolerances). A pure ratio would flag tiny gradients, where the finite
    /// difference's rounding noise (about 1e-10 · |target| for ε = 1e-6) is the whole
    /// difference, as badly wrong.
    public var maxRelativeError: Double { params.map(\.maxRelativeError).max() ?? 0 }
    public var maxAbsoluteError: Double { params.map(\.maxAbsoluteError).max() ?? 0 }

    /// True when the worst relative error is at most `tolerance`.
    public func passed(tolerance: Double = 1e-6) -> Bool { maxRelativeError <= tolerance }
}

extension Graph {
    /// d target / d param by central finite differences, element by element:
    /// `(f(p + ε·e_k) − f(p − ε·e_k)) / 2ε`. Each evaluation re-runs only the nodes between
    /// the param and the target that depend on the param (2·count forward passes in all,
    /// the O(n·p) cost backward avoids). Works on a copy: the graph is unchanged.
    public func numericGradient(of target: NodeID, withRespectTo param: NodeID, epsilon: Double = 1e-6) throws(EngineError) -> Tensor {
        var probe = self
        return try probe.perturbAndMeasure(target: target, param: param, epsilon: epsilon).numeric
    }

    /// Central differences for one param; afterwards the graph holds its values from before
    /// (the nodes it re-ran are put back, not re-run again, so every evaluation is a probe).
    private mutating func perturbAndMeasure(target: NodeID, param: NodeID, epsilon: Double) throws(EngineError) -> (numeric: Tensor, passes: Int, evaluations: Int) {
        guard epsilon > 0, epsilon.isFinite else { throw EngineError("finite differences: epsilon must be a positive number") }
        guard target.index >= 0, target.position < count else { throw EngineError("unknown node \(target)") }
        guard param.index >= 0, param.position < count, store.flags[param.position].contains(.source) else {
            throw EngineError("finite differences: node \(param) is not a leaf")
        }
        guard scalar(target) != nil else {
            throw EngineError("finite differences need a scalar target, but it has shape \(formatShape(shape(target)))")
        }
        let original = value(param)
        let plan = dependents(of: param.position, through: target.position)
        let saved = plan.map { value(at: Int($0)) }
        var numeric = [Double](repeating: 0, count: original.count)
        for element in 0..<original.count {
            let base = original.scalars[element]
            updateLeafInPlace(param.position) { $0[element] = base + epsilon }
            try recompute(plan: plan)
            let plus = scalar(target) ?? .nan
            updateLeafInPlace(param.position) { $0[element] = base - epsilon }
            try recompute(plan: plan)
            let minus = scalar(target) ?? .nan
            updateLeafInPlace(param.position) { $0[element] = base }
            numeric[element] = (plus - minus) / (2 * epsilon)
        }
        for (position, value) in zip(plan, saved) { overwrite(Int(position), with: NodeValue(value)) }
        let shaped = (try? Tensor(shape: original.shape, scalars: numeric)) ?? Tensor.zeros(like: original)
        return (shaped, 2 * original.count, 2 * original.count * plan.count)
    }

    /// Checks the backward pass from `target` against central finite differences for
    /// every element of every param (`numericGradient`). The graph is unchanged. `gradients`,
    /// when given, is the backward pass from `target` to check (else one is run).
    public func gradcheck(target: NodeID, params: [NodeID], epsilon: Double = 1e-6,
                          gradients given: Gradients? = nil) throws(EngineError) -> GradcheckReport {
        let gradients: Gradients
        if let given { gradients = given } else { gradients = try backward(from: target) }
        var probe = self
        var results: [GradcheckReport.ParamResult] = []
        var passes = 0, evaluations = 0
        for param in params {
            let measured = try probe.perturbAndMeasure(target: target, param: param, epsilon: epsilon)
            let numeric = measured.numeric
            passes += measured.passes
            evaluations += measured.evaluations
            let analytic = gradients[param] ?? Tensor.zeros(like: numeric)
            var maxAbsolute = 0.0, maxRelative = 0.0, worst = 0
            for element in 0..<Swift.min(numeric.count, analytic.count) {
                let a = analytic.scalars[element], n = numeric.scalars[element]
                let absolute = Swift.abs(a - n)
                let relative = absolute / Swift.max(Swift.abs(a), Swift.abs(n), 1)
                maxAbsolute = Swift.max(maxAbsolute, absolute.isNaN ? .infinity : absolute)
                if relative > maxRelative || relative.isNaN {
                    maxRelative = relative.isNaN ? .infinity : relative
                    worst = element
                }
            }
            results.append(GradcheckReport.ParamResult(param: param, analytic: analytic, numeric: numeric,
                                                       maxAbsoluteError: maxAbsolute, maxRelativeError: maxRelative,
                                                       worstElement: worst))
        }
        return GradcheckReport(target: target, epsilon: epsilon, params: results, forwardPasses: passes, evaluations: evaluations)
    }
}
