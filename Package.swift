// swift-tools-version: 6.0
import PackageDescription

// Dependency direction is one way (ARCHITECTURE.md):
// GradLang, GradTensor -> GradEngine -> GradInterpreter -> GradSession -> gradbook;
// GradStore, GradNotebook, GradJupyter -> GradZMQ sit beside them and meet only in GradSession / gradbook;
// GradJSON (JSON values, parser, writer) is a leaf below GradStore, GradNotebook and GradJupyter;
// GradPlot (charts as values, rendered to SVG or terminal text; no I/O) is a leaf below GradInterpreter.
let package = Package(
    name: "gradbook",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gradbook", targets: ["gradbook"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // System C libraries (Debian: libsqlite3-dev libpq-dev libopenblas-dev libzmq3-dev).
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgreSQL", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZMQ", providers: [.apt(["libzmq3-dev"])]),
        // libedit's variadic and global-variable API wrapped in plain C functions Swift can call.
        .target(name: "CEditLine", linkerSettings: [.linkedLibrary("edit")]),

        .target(name: "GradTensor", dependencies: ["CBLAS"]),
        .target(name: "GradEngine", dependencies: ["GradTensor"]),
        .target(name: "GradLang"),
        .target(name: "GradPlot"),
        .target(name: "GradInterpreter", dependencies: ["GradLang", "GradEngine", "GradTensor", "GradPlot"]),
        .target(name: "GradStore", dependencies: ["CSQLite", "CPostgreSQL", "GradJSON"],
                resources: [.embedInCode("schema.sql"), .embedInCode("schema-postgres.sql")]),
        .target(name: "GradSession", dependencies: ["GradInterpreter", "GradStore", "GradJSON", "GradLang", "GradEngine", "GradTensor", "GradPlot"]),
        .target(name: "GradJSON"),
        .target(name: "GradNotebook", dependencies: ["GradJSON", "GradLang"]),
        .target(name: "GradJupyter", dependencies: ["GradJSON", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "GradZMQ", dependencies: ["GradJupyter", "CZMQ"]),
        .target(name: "GradBench", dependencies: ["GradEngine", "GradTensor", "GradSession", "GradStore", "GradJSON"]),
        .target(name: "GradREPL", dependencies: ["GradSession", "GradInterpreter", "GradLang", "GradStore", "CEditLine"]),
        .executableTarget(
            name: "gradbook",
            dependencies: [
                "GradSession", "GradStore", "GradJSON", "GradNotebook", "GradJupyter", "GradZMQ", "GradBench", "GradREPL", "GradTensor", "GradPlot",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "GradTensorTests", dependencies: ["GradTensor"]),
        .testTarget(name: "GradEngineTests", dependencies: ["GradEngine", "GradTensor"]),
        .testTarget(name: "GradLangTests", dependencies: ["GradLang"]),
        .testTarget(name: "GradPlotTests", dependencies: ["GradPlot"]),
        .testTarget(name: "GradInterpreterTests", dependencies: ["GradInterpreter"]),
        .testTarget(name: "GradStoreTests", dependencies: ["GradStore"]),
        .testTarget(name: "GradSessionTests", dependencies: ["GradSession", "GradTensor", "GradInterpreter", "GradPlot"]),
        .testTarget(name: "GradREPLTests", dependencies: ["GradREPL", "GradLang"]),
        .testTarget(name: "GradJSONTests", dependencies: ["GradJSON"]),
        .testTarget(name: "GradNotebookTests", dependencies: ["GradNotebook", "GradJSON", "GradLang"]),
        .testTarget(name: "GradJupyterTests", dependencies: ["GradJupyter", "GradJSON", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "GradBenchTests", dependencies: ["GradBench", "GradStore"]),
        .testTarget(name: "EndToEndTests"),
    ],
    swiftLanguageModes: [.v6]
)
