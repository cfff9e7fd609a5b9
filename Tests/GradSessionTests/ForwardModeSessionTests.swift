import GradSession
import GradStore
import Testing

/// Forward mode in the language (`jvp`, `grad(..., mode="forward")`, `%explain J --forward w`),
/// step counts in `runs` and `%time`, `gradcheck` of J's own params, and issue 13's max/min
/// ties and `concat([a, b])`.
@Suite struct ForwardModeSessionTests {
    static let seed = SessionTests.seed

    func makeSession() throws -> Session {
        try Session(store: RunStore(path: ":memory:"), kind: .batch, notebook: nil)
    }

    func rows(_ session: Session, _ sql: String) throws -> [[SQLValue]] {
        try session.store.query(sql).rows
    }

    func texts(_ result: CellResult) -> String {
        result.outputs.map { output -> String in
            switch output {
            case .stdout(let text), .stderr(let text), .page(let text): return text
            case .display(let rich): return rich.plain + "\n"
            case .clearOutput: return ""
            }
        }.joined() + (result.result.map { $0.plain + "\n" } ?? "")
    }

    @Test func forwardModeGivesTheSeedsGradient() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed).status == .ok)
        #expect(session.execute("grad(J, w, mode=\"forward\")").result?.plain == "-4")
        #expect(session.execute("jvp(J, w, 1)").result?.plain == "-4")
        #expect(session.execute("grad(J, b, mode=\"forward\")").result?.plain == "2")
        #expect(session.execute("grad(J, w, mode=\"reverse\")").result?.plain == "-4")
        // Along a direction: dJ/dw · 3; of a tensor J: shaped like J.
        #expect(session.execute("jvp(J, w, 3)").result?.plain == "-12")
        #expect(session.execute("v = param([1, 2, 3])\nq = v * w\njvp(q, w, 1)").result?.plain == "[1, 2, 3]")
        #expect(session.execute("jvp(sum(q), v, [1, 0, 0])").result?.plain == "2")
        // A node the target does not depend on: zeros, as grad(J, x) gives.
        #expect(session.execute("jvp(c, b, 1)").result?.plain == "0")
    }

    @Test func runsRecordTheirSteps() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed).status == .ok)
        #expect(session.execute("backward J").status == .ok)
        #expect(session.execute("grad(J, w, mode=\"forward\")\njvp(J, b, 1)").status == .ok)
        #expect(session.execute("gradcheck(J)").status == .ok)
        let recorded = try rows(session, "SELECT kind, target, steps FROM runs ORDER BY run_id")
        // Definitions: c, a, d are one op node each, J two (d^2 and the product); the leaves none.
        let forward = recorded.filter { $0[0] == .text("forward") }.map { $0[2] }
        #expect(forward == [.integer(0), .integer(0), .integer(0), .integer(0), .integer(1), .integer(1), .integer(1), .integer(2)])
        // backward: n + p = 5 op nodes + 2 params; forward mode: 5 JVPs from w, 4 from b;
        // gradcheck: two passes per param element, 2 · (5 + 4) evaluations.
        #expect(Array(recorded.dropFirst(8)) == [
            [.text("backward"), .text("J"), .integer(7)],
            [.text("forward_mode"), .text("J"), .integer(5)],
            [.text("forward_mode"), .text("J"), .integer(4)],
            [.text("gradcheck"), .text("J"), .integer(18)],
        ])
        // The forward-mode gradient is kept as w's gradient in that run; gradcheck keeps its
        // finite-difference estimates.
        #expect(try rows(session, "SELECT grad FROM run_values WHERE run_id = 10 AND name = 'w'") == [[.real(-4)]])
        let numeric = try rows(session, "SELECT grad FROM run_values WHERE run_id = 12 AND name = 'b'").first?.first?.doubleValue
        #expect(numeric.map { abs($0 - 2) < 1e-8 } == true)
        // A second `backward J` is a pass of its own, with its own steps.
        #expect(session.execute("backward J").status == .ok)
        #expect(try rows(session, "SELECT steps FROM runs WHERE kind = 'backward' ORDER BY run_id") == [[.integer(7)], [.integer(7)]])
    }

    @Test func timeShowsStepsBesideTheWallTime() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed).status == .ok)
        let backward = texts(session.execute("%time backward J"))
        #expect(backward.hasPrefix("Wall time: ") && backward.hasSuffix(", 7 steps\n"), "\(backward)")
        let forward = texts(session.execute("%time grad(J, b, mode=\"forward\")"))
        #expect(forward.contains(", 4 steps\n"), "\(forward)")
        let nothing = texts(session.execute("%time 6 * 7"))
        #expect(nothing.contains(", 0 steps\n"), "\(nothing)")
        let training = texts(session.execute("%time train(J, steps=3, lr=0.01)"))
        // Each step: its backward (7) and, after the first, the re-evaluation of c, a, d, d^2, J (5);
        // then the backward pass that gives J's gradients at the trained values (7).
        #expect(training.contains(", \(7 + 12 + 12 + 7) steps\n"), "\(training)")
        #expect(try rows(session, "SELECT steps FROM runs WHERE kind = 'train' ORDER BY step") == [[.integer(7)], [.integer(12)], [.integer(12)]])
    }

    @Test func explainForwardWorksTheSeedLeftToRight() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed).status == .ok)
        let result = session.execute("%explain J --forward w")
        #expect(result.status == .ok)
        guard case .display(let rich)? = result.outputs.first else {
            Issue.record("no display: \(result.outputs)")
            return
        }
        #expect(rich.plain == """
            Forward mode (dw/dw = 1, left to right)
              dc/dw = x = -2
              da/dw = dc/dw = -2
              dd/dw = da/dw = -2
              dJ/dw = d * dd/dw = 2 * (-2) = -4
            """)
        let html = try #require(rich.html)
        for line in ["dc/dw = x = -2", "da/dw = dc/dw = -2", "dd/dw = da/dw = -2", "dJ/dw = d * dd/dw = 2 * (-2) = -4"] {
            #expect(html.contains("<tr><td style=\"text-align:left\"><code>\(line)</code></td></tr>"), "\(line)")
        }
        #expect(html.hasPrefix("<table><thead><tr><th style=\"text-align:left\">Forward mode (dw/dw = 1, left to right)</th>"))
        // From b: b enters at a; the option may come first.
        guard case .display(let fromB)? = session.execute("%explain --forward b J").outputs.first else {
            Issue.record("no display")
            return
        }
        #expect(fromB.plain.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
                == ["da/db = 1", "dd/db = da/db = 1", "dJ/db = d * dd/db = 2 * 1 = 2"])
    }

    @Test func explainForwardWritesTheLocalDerivatives() throws {
        let session = try makeSession()
        let source = """
            t = param(0.5)
            u = 3
            p = t * t
            q = exp(p) / u
            r = -q + tanh(t) - p^3
            %explain r --forward t
            """
        let result = session.execute(source)
        #expect(result.status == .ok, "\(result.errorText ?? "")")
        let lines = texts(result).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("dp/dt = t + t = 1"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("dq/dt = (exp(p) / u) * dp/dt = ") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("dr/dt = -dq/dt + 1 - tanh(t)^2 - 3 * p^2 * dp/dt = ") }, "\(lines)")
    }

    @Test func explainForwardRefusesWhatItCannotShow() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed + "\nv = param([1, 2])\nk = sum(v * w)").status == .ok)
        let tensorSeed = session.execute("%explain k --forward v")
        #expect(tensorSeed.status == .error)
        #expect(tensorSeed.errorText?.contains("so v must be a scalar; it has shape [2]") == true, "\(tensorSeed.errorText ?? "")")
        let missing = session.execute("%explain J --forward")
        #expect(missing.errorText?.contains("%explain --forward needs the node") == true, "\(missing.errorText ?? "")")
        let unknown = session.execute("%explain J --forward ww")
        #expect(unknown.errorText?.contains("did you mean 'w'?") == true, "\(unknown.errorText ?? "")")
        let unrelated = session.execute("%explain c --forward b")
        #expect(texts(unrelated).contains("dc/db = 0 (c does not depend on b)"), "\(texts(unrelated))")
        #expect(texts(session.execute("%explain w --forward w")).contains("  dw/dw = 1\n"))
    }

    @Test func badForwardModeArgumentsAreErrorsWithLocations() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed + "\nv = param([1, 2])").status == .ok)
        let mode = session.execute("grad(J, w, mode=\"sideways\")")
        #expect(mode.errorText?.contains("unknown mode \"sideways\"") == true)
        #expect(mode.errorText?.contains("1:17") == true, "\(mode.errorText ?? "")")
        #expect(mode.errorText?.contains("mode=\"forward\"") == true)
        let direction = session.execute("jvp(J, v, [1, 2, 3])")
        #expect(direction.errorText?.contains("jvp's direction has shape [3], which does not broadcast to the shape of v, [2]") == true,
                "\(direction.errorText ?? "")")
        let tensorTarget = session.execute("grad(v * w, w, mode=\"forward\")")
        #expect(tensorTarget.errorText?.contains("grad needs a scalar, but this has shape [2]") == true, "\(tensorTarget.errorText ?? "")")
        let constant = session.execute("jvp(J, 2, 1)")
        #expect(constant.errorText?.contains("jvp's second argument must be a node") == true)
        // jvp results, like grad's, are values that are not differentiated further.
        #expect(session.execute("g = jvp(J, w, 1)").status == .ok)
        let through = session.execute("h = g * w\nbackward h")
        #expect(through.errorText?.contains("computed with grad(...) or jvp(...)") == true, "\(through.errorText ?? "")")
        #expect(try rows(session, "SELECT count(*) FROM runs WHERE kind = 'forward_mode'") == [[.integer(1)]], "failed calls record nothing")
    }

    @Test func gradcheckChecksOnlyTheParamsItsTargetDependsOn() throws {
        let session = try makeSession()
        #expect(session.execute(Self.seed + "\nother = param([1, 2, 3])\nK = sum(other^2)").status == .ok)
        let result = session.execute("gradcheck(J)")
        let text = texts(result)
        #expect(text.hasPrefix("gradcheck J: 2 params (2 elements), 4 forward passes (18 node evaluations) of central differences, eps 1e-06\n"), "\(text)")
        #expect(text.contains("  w: max relative error") && text.contains("  b: max relative error"))
        #expect(!text.contains("other"))
        #expect(text.contains("ok: the backward pass agrees with finite differences"))
        let check = texts(session.execute("gradcheck(K)"))
        #expect(check.hasPrefix("gradcheck K: 1 param (3 elements), 6 forward passes (12 node evaluations)"), "\(check)")
        // gradcheck runs the backward pass it checks when the latest one is not J's: recorded too.
        #expect(try rows(session, "SELECT kind, target FROM runs WHERE kind IN ('backward', 'gradcheck') ORDER BY run_id")
                == [[.text("backward"), .text("J")], [.text("gradcheck"), .text("J")], [.text("backward"), .text("K")], [.text("gradcheck"), .text("K")]])
    }

    @Test func elementwiseMaxAndMinSplitTies() throws {
        let session = try makeSession()
        let result = session.execute("""
            a = param(2)
            b = param(2)
            m = max(a, b) + 3 * min(a, b)
            backward m
            print(a.grad, b.grad)
            """)
        #expect(texts(result).hasSuffix("2 2\n"), "\(texts(result))")
    }

    @Test func concatAndStackTakeAListAsNumPyDoes() throws {
        let session = try makeSession()
        #expect(session.execute("a = param([1, 2])\nb = param([3, 4, 5])").status == .ok)
        #expect(session.execute("concat([a, b])").result?.plain == "[1, 2, 3, 4, 5]")
        #expect(session.execute("concat(a, b)").result?.plain == "[1, 2, 3, 4, 5]")
        #expect(session.execute("concat([reshape(a, 1, 2), ones(2, 2)], axis=0)").result?.plain == "[[1, 2],\n [1, 1],\n [1, 1]]")
        #expect(session.execute("stack([a, a * 2])").result?.plain == "[[1, 2],\n [2, 4]]")
        #expect(session.execute("concat([[1, 2], [3]])").result?.plain == "[1, 2, 3]")
        let J = session.execute("J = sum(concat([a, b]) * [1, 2, 3, 4, 5])\nbackward J\nprint(a.grad, b.grad)")
        #expect(texts(J).hasSuffix("[1, 2] [3, 4, 5]\n"), "\(texts(J))")
        // A list elsewhere is still a list: ragged is an error there.
        #expect(session.execute("[a, b]").errorText?.contains("ragged list") == true)
        // And a redefinition re-evaluates the concatenation.
        #expect(session.execute("a = param([0, 0])\nJ").result?.plain == "50")
    }
}
