import GradEngine
import GradJSON

/// The optimizer of a train() call, read back from the settings JSON its steps were recorded
/// with (`{"name":"adam","lr":0.05,"beta1":0.9,...,"steps":300}`, written by the interpreter),
/// so that a replay re-executes its steps with exactly the same settings.
enum OptimizerSettings {
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    static func optimizer(fromJSON text: String) throws -> Optimizer {
        let settings: JSONValue
        do { settings = try JSONParser.parse(text) } catch {
            throw Unreadable(description: "the optimizer settings are not JSON: \(text)")
        }
        guard let name = settings["name"]?.stringValue, let kind = Optimizer.Kind(rawValue: name) else {
            throw Unreadable(description: "the optimizer settings name no known optimizer: \(text)")
        }
        func number(_ key: String) throws -> Double? {
            guard let value = settings[key], !value.isNull else { return nil }
            switch value {
            case .int(let integer): return Double(integer)
            case .double(let double): return double
            default: throw Unreadable(description: "the optimizer setting \(key) is not a number: \(text)")
            }
        }
        guard let learningRate = try number("lr") else {
            throw Unreadable(description: "the optimizer settings have no lr: \(text)")
        }
        let defaults = Optimizer(kind: kind, learningRate: learningRate)
        return Optimizer(kind: kind, learningRate: learningRate, learningRateEnd: try number("lr_end"),
                         totalSteps: settings["steps"]?.intValue ?? defaults.totalSteps,
                         momentum: try number("momentum") ?? defaults.momentum, beta1: try number("beta1") ?? defaults.beta1,
                         beta2: try number("beta2") ?? defaults.beta2, epsilon: try number("eps") ?? defaults.epsilon,
                         weightDecay: try number("weight_decay") ?? defaults.weightDecay)
    }
}
