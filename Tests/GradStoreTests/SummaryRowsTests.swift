import Foundation
import Testing
@testable import GradStore

/// Value rows that hold only summaries are inserted several per statement: every one arrives,
/// with its statistics, beside rows stored in full and rows of scalars.
@Suite struct SummaryRowsTests {
    @Test func summaryRowsOfOneRunArriveWhateverTheirNumberAndMix() throws {
        let directory = try TemporaryDirectory()
        let store = try RunStore(path: directory.path("summaries.db"))
        let session = try store.beginSession(kind: .batch, notebook: nil)
        // 71 summary rows: more than one statement's worth, and not a multiple of it.
        var ids: [Int64] = []
        for index in 0..<73 {
            ids.append(try store.insertNode(NodeRecord(sessionID: session, cellID: nil, name: "p\(index)", op: "param", inputs: [],
                                                       shape: [2, 2], isParam: true)))
        }
        var values: [ValueRecord] = []
        for (index, id) in ids.enumerated() {
            let elements = [Double(index), -1, 0.5, .nan].map { index % 5 == 0 ? $0 : abs($0.isNaN ? 2 : $0) }
            switch index {
            case 70:  // in full
                values.append(ValueRecord(nodeID: id, shape: [2, 2], value: .full([1, 2, 3, 4]), grad: .full([4, 3, 2, 1])))
            case 71:  // a summary without a gradient
                values.append(ValueRecord(nodeID: id, shape: [2, 2], value: .summary(TensorSummary(summarizing: elements)), grad: nil))
            case 72:  // a gradient summary without a value: the general path
                values.append(ValueRecord(nodeID: id, shape: [2, 2], value: nil, grad: .summary(TensorSummary(summarizing: elements))))
            default:
                values.append(ValueRecord(nodeID: id, shape: [2, 2], value: .summary(TensorSummary(summarizing: elements)),
                                          grad: .summary(TensorSummary(summarizing: elements.map { -$0 }))))
            }
        }
        let run = try store.insertRun(RunRecord(sessionID: session, cellID: nil, kind: .train, target: "J", step: 0),
                                      nodeIDs: ids, values: values)
        let read = try store.values(ofRun: run)
        #expect(read.count == 73)
        for (record, original) in zip(read, values) {
            #expect(record.nodeID == original.nodeID && record.shape == [2, 2])
            // A statistic that was NaN comes back as NULL (SQLite keeps no NaN): nil or NaN.
            func sameStatistic(_ left: Double?, _ right: Double?) -> Bool {
                switch (left, right) {
                case let (l?, r?) where !l.isNaN && !r.isNaN: return l.bitPattern == r.bitPattern
                default: return (left?.isNaN ?? true) && (right?.isNaN ?? true)
                }
            }
            func same(_ left: TensorData?, _ right: TensorData?) -> Bool {
                switch (left, right) {
                case (nil, nil): return true
                case let (.full(a)?, .full(b)?): return a == b
                case let (.summary(a)?, .summary(b)?):
                    return a.numel == b.numel && sameStatistic(a.min, b.min) && sameStatistic(a.max, b.max)
                        && sameStatistic(a.mean, b.mean) && sameStatistic(a.l2, b.l2)
                default: return false
                }
            }
            #expect(same(record.value, original.value) && same(record.grad, original.grad), "node \(original.nodeID)")
        }
        #expect(try store.query("SELECT count(*), sum(value_stored = 'summary'), sum(grad_stored = 'summary'), count(grad_stored) FROM run_values").rows
                == [[.integer(73), .integer(71), .integer(71), .integer(72)]])
        // A summary that does not fit its shape is refused with the whole run.
        let bad = ValueRecord(nodeID: ids[0], shape: [3], value: .summary(TensorSummary(summarizing: [1, 2])), grad: nil)
        #expect(throws: StoreError.self) {
            try store.insertRun(RunRecord(sessionID: session, cellID: nil, kind: .train, target: "J", step: 1), nodeIDs: ids, values: [bad])
        }
        #expect(try store.query("SELECT count(*) FROM run").rows == [[.integer(1)]])
    }
}
