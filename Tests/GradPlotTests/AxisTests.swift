import Testing
@testable import GradPlot

@Suite struct AxisTests {
    @Test func tickLabelsAreExactDecimals() {
        #expect(TickLabel.format(significand: 3, exponent: -1) == "0.3")
        #expect(TickLabel.format(significand: -25, exponent: -3) == "-0.025")
        #expect(TickLabel.format(significand: 150, exponent: 0) == "150")
        #expect(TickLabel.format(significand: 25, exponent: 4) == "250000")
        #expect(TickLabel.format(significand: 0, exponent: -7) == "0")
        #expect(TickLabel.format(significand: 1, exponent: -7) == "1e-7")
        #expect(TickLabel.format(significand: 25, exponent: 8) == "2.5e9")
        #expect(TickLabel.format(significand: 1, exponent: -4) == "0.0001")
        #expect(TickLabel.format(significand: 100, exponent: -2) == "1")
    }

    @Test func stepsGetNiceWholeTicksOverTheirRange() {
        let axis = Axis.linear(from: 0, to: 299, maxTicks: 7, integral: true)
        #expect(axis.ticks.map(\.label) == ["0", "50", "100", "150", "200", "250", "300"])
        #expect(axis.lower == 0 && axis.upper == 300)
        #expect(axis.fraction(150) == 0.5)
        // Three steps never get ticks between whole numbers.
        #expect(Axis.linear(from: 0, to: 2, maxTicks: 7, integral: true).ticks.map(\.label) == ["0", "1", "2"])
    }

    @Test func fractionalRangesAreLabelledWithoutBinaryNoise() {
        let axis = Axis.linear(from: 0.012, to: 0.71, maxTicks: 6)
        #expect(axis.ticks.map(\.label) == ["0", "0.2", "0.4", "0.6", "0.8"])
        let negative = Axis.linear(from: -4, to: 2, maxTicks: 5)
        #expect(negative.ticks.map(\.label) == ["-4", "-2", "0", "2"])
        let tiny = Axis.linear(from: 1e-9, to: 3e-9, maxTicks: 5)
        #expect(tiny.ticks.map(\.label) == ["1e-9", "1.5e-9", "2e-9", "2.5e-9", "3e-9"])
    }

    @Test func aSinglePointOrAConstantGetsARangeAroundIt() {
        let constant = Axis.linear(from: 2, to: 2, maxTicks: 5)
        #expect(constant.lower < 2 && constant.upper > 2)
        #expect(abs(constant.fraction(2) - 0.5) < 1e-12)
        let zero = Axis.linear(from: 0, to: 0, maxTicks: 5, integral: true)
        #expect(zero.ticks.map(\.label) == ["-1", "0", "1"])
    }

    @Test func extremeRangesStayFinite() {
        for (low, high) in [(-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude), (Double.leastNonzeroMagnitude, 2 * Double.leastNonzeroMagnitude), (1e15, 1e15 + 2), (1e300, 1e300)] {
            let axis = Axis.linear(from: low, to: high, maxTicks: 6)
            #expect(axis.lower.isFinite && axis.upper.isFinite && axis.upper > axis.lower, "\(low)…\(high)")
            #expect(!axis.ticks.isEmpty && axis.ticks.count <= 6)
            for value in [low, high] {
                let fraction = axis.fraction(value)
                #expect(fraction.isFinite && fraction >= -1e-9 && fraction <= 1 + 1e-9, "\(value) at \(fraction) on \(axis)")
            }
        }
    }

    @Test func logarithmicAxesUseDecadesOrOneTwoFive() {
        #expect(Axis.logarithmic(from: 0.002, to: 7, maxTicks: 6).ticks.map(\.label) == ["0.001", "0.01", "0.1", "1", "10"])
        #expect(Axis.logarithmic(from: 1e-12, to: 1e12, maxTicks: 6).ticks.map(\.label) == ["1e-12", "1e-7", "0.01", "1000", "1e8", "1e13"])
        #expect(Axis.logarithmic(from: 0.3, to: 0.9, maxTicks: 6).ticks.map(\.label) == ["0.2", "0.5", "1"])
        #expect(Axis.logarithmic(from: 3, to: 3, maxTicks: 6).ticks.map(\.label) == ["0.1", "1", "10", "100"])
        let narrow = Axis.logarithmic(from: 0.31, to: 0.33, maxTicks: 6)
        #expect(narrow.isLogarithmic && narrow.lower > 0 && narrow.lower <= 0.31 && narrow.upper >= 0.33)
        #expect(narrow.ticks.count >= 2)
        let smallest = Axis.logarithmic(from: Double.leastNonzeroMagnitude, to: 1, maxTicks: 6)
        #expect(smallest.lower > 0 && smallest.fraction(Double.leastNonzeroMagnitude).isFinite)
    }
}
